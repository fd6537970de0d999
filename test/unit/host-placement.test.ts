/**
 * The placement rule (least loaded first among live hosts with room; drained hosts take nothing, full ones only when
 * all are), the slots that poll by it, the hosts registry, and a host id used twice.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FsArtifactStore } from '../../activities/store/fs-store';
import { hostsTable } from '../../cli/hosts';
import { livePeers, mayTakeSandbox, REPORT_FRESH_MS } from '../../workers/host-placement';
import { createSandboxHostActivities, writeHostReport } from '../../workers/host-registry';
import { HostReporter } from '../../workers/host-reporter';
import type Dockerode from 'dockerode';
import { HostSlots } from '../../workers/host-slots';
import type { SandboxHostReport } from '../../workflows/sandbox-hosts';

const host = (running: number, capacity: number | null = 3, drained = false) => ({ running, capacity, drained });

function report(name: string, running: number, over: Partial<SandboxHostReport> = {}): SandboxHostReport {
  return {
    host: name,
    identity: `1@m#${name}`,
    running,
    capacity: 3,
    drained: false,
    engine: 'ok',
    updatedAt: 1_000_000,
    ...over,
  };
}

describe('mayTakeSandbox', () => {
  test('the least loaded host takes the sandbox; a more loaded one waits', () => {
    expect(mayTakeSandbox(host(0), [host(1), host(2)]).ok).toBe(true);
    expect(mayTakeSandbox(host(1), [host(0), host(2)])).toEqual({
      ok: false,
      reason: '1 less loaded host(s) have room',
    });
  });

  test('ties: every tied host may take it', () => {
    expect(mayTakeSandbox(host(1), [host(1), host(1)]).ok).toBe(true);
  });

  test('a full host takes nothing while another has room, and a full peer does not hold back a less full one', () => {
    expect(mayTakeSandbox(host(3), [host(2)])).toEqual({ ok: false, reason: 'full (3/3); 1 host(s) have room' });
    expect(mayTakeSandbox(host(2), [host(3), host(3)]).ok).toBe(true);
  });

  test('when every host is full, the full hosts still poll (a goal must verify to free its sandbox)', () => {
    expect(mayTakeSandbox(host(3), [host(3), host(4)]).ok).toBe(true);
    expect(mayTakeSandbox(host(4), [host(3), host(2, 3, true)]).ok).toBe(true);
  });

  test('a drained host takes nothing, and a drained peer with nothing on it does not hold the others back', () => {
    expect(mayTakeSandbox(host(0, 3, true), [])).toEqual({ ok: false, reason: 'drained' });
    expect(mayTakeSandbox(host(2), [host(0, 3, true)]).ok).toBe(true);
  });

  test('load is the share of capacity in use: 2 of 8 is lighter than 1 of 2', () => {
    expect(mayTakeSandbox(host(2, 8), [host(1, 2)]).ok).toBe(true);
    expect(mayTakeSandbox(host(1, 2), [host(2, 8)]).ok).toBe(false);
  });

  test('a host without a capacity has no limit', () => {
    expect(mayTakeSandbox(host(500, null), []).ok).toBe(true);
  });
});

describe('livePeers', () => {
  const now = 1_000_000 + 1000;
  test('leaves out this host, silent, stopped and engine-down hosts', () => {
    const peers = livePeers(
      'a',
      [
        report('a', 0),
        report('b', 1),
        report('silent', 0, { updatedAt: now - REPORT_FRESH_MS - 1 }),
        report('stopped', 0, { stopped: true }),
        report('engine', 0, { engine: 'connect ENOENT /run/x.sock' }),
        report('drained', 0, { drained: true }),
        report('full', 3),
      ],
      now,
    );
    expect(peers.map((p) => p.host)).toEqual(['b', 'drained', 'full']);
  });
});

describe('HostSlots', () => {
  test('hands out one waiting poll at a time, only while admitted, and counts provisions under way', async () => {
    let admitted = false;
    const asked: number[] = [];
    const slots = new HostSlots({
      admit: async (provisioning) => {
        asked.push(provisioning);
        return admitted;
      },
      checkEveryMs: 5,
    });
    const abort = new AbortController();
    let first: object | undefined;
    const pending = slots.reserveSlot({}, abort.signal).then((p) => (first = p));
    await new Promise((r) => setTimeout(r, 30));
    expect(first).toBeUndefined();
    admitted = true;
    await pending;
    expect(first).toBeDefined();
    // A second poll waits while the first permit is still an idle poll.
    let second: object | undefined;
    const next = slots.reserveSlot({}, abort.signal).then((p) => (second = p));
    await new Promise((r) => setTimeout(r, 30));
    expect(second).toBeUndefined();
    slots.markSlotUsed({ slotInfo: { type: 'activity', activityType: 'provisionSandbox' }, permit: first! });
    await next;
    expect(slots.provisioning).toBe(1);
    expect(asked.at(-1)).toBe(1);
    slots.releaseSlot({ slotInfo: { type: 'activity', activityType: 'provisionSandbox' }, permit: first! });
    expect(slots.provisioning).toBe(0);
    // A reservation nobody needs any more ends with the abort.
    slots.markSlotUsed({ slotInfo: { type: 'activity', activityType: 'runTool' }, permit: second! });
    admitted = false;
    const third = slots.reserveSlot({}, abort.signal);
    abort.abort(new Error('aborted'));
    await expect(third).rejects.toThrow('aborted');
  });
});

describe('the hosts registry', () => {
  test('lists every host with its health, and a drain mark shows before the host reports it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-hosts-unit-'));
    try {
      const store = new FsArtifactStore(dir);
      const now = Date.now();
      await writeHostReport(store, report('b', 2, { updatedAt: now }));
      await writeHostReport(store, report('a', 1, { updatedAt: now - REPORT_FRESH_MS - 5000 }));
      await writeHostReport(store, report('c', 0, { updatedAt: now, engine: 'connect ENOENT /run/c.sock' }));
      const activities = createSandboxHostActivities(store);
      await activities.setSandboxHostDrain({ host: 'b', drained: true });
      const rows = await activities.listSandboxHosts();
      expect(rows.map((r) => [r.host, r.health, r.drained])).toEqual([
        ['a', 'silent', false],
        ['b', 'up', true],
        ['c', 'engine down: connect ENOENT /run/c.sock', false],
      ]);
      expect(hostsTable(rows)).toMatch(/^b\s+2\/3\s+up\s+draining \(2 running\)/m);
      await activities.setSandboxHostDrain({ host: 'b', drained: false });
      expect((await activities.listSandboxHosts()).find((r) => r.host === 'b')?.drained).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a host id used twice', () => {
  const noContainers = { listContainers: async () => [] } as unknown as Dockerode;

  test('a second worker under a live host id refuses to start, naming the other; a stopped or silent one does not block', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-hosts-unit-'));
    const store = new FsArtifactStore(dir);
    const options = { host: 'h1', docker: noContainers, store, capacity: 3, everyMs: 100 };
    const first = new HostReporter(options);
    try {
      await first.start();
      const second = new HostReporter(options);
      await expect(second.checkUnique()).rejects.toThrow(
        new RegExp(
          `DRYDOCK_HOST_ID=h1 is in use by another sandbox worker \\(${first.identity.replace(/[.#]/g, '\\$&')},`,
        ),
      );
      await first.stop();
      await expect(new HostReporter(options).checkUnique()).resolves.toBeUndefined();
      // A worker killed without a last report: its report stops changing, and the next one starts.
      await writeHostReport(store, report('h1', 1, { updatedAt: Date.now() }));
      await expect(new HostReporter(options).checkUnique()).resolves.toBeUndefined();
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a worker of this machine that was killed a moment ago does not hold its id', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-hosts-unit-'));
    try {
      const store = new FsArtifactStore(dir);
      const gone = spawnSync('true').pid;
      await writeHostReport(
        store,
        report('h1', 1, { identity: `${gone}@${os.hostname()}#abc`, updatedAt: Date.now() }),
      );
      // With a minute between reports, a second look would outlast the test: the dead pid is seen at once.
      const reporter = new HostReporter({ host: 'h1', docker: noContainers, store, capacity: 3, everyMs: 60_000 });
      await expect(reporter.checkUnique()).resolves.toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 10_000);
});
