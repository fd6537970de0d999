/** The placement rule: least loaded first among live hosts with room; drained and full hosts take nothing. */
import { livePeers, mayTakeSandbox, REPORT_FRESH_MS } from '../../workers/host-placement';
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

  test('a full host takes nothing, and a full peer does not hold back a less full one', () => {
    expect(mayTakeSandbox(host(3), [])).toEqual({ ok: false, reason: 'full (3/3)' });
    expect(mayTakeSandbox(host(2), [host(3), host(3)]).ok).toBe(true);
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
  test('leaves out this host, silent, stopped, engine-down, drained and full hosts', () => {
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
    expect(peers.map((p) => p.host)).toEqual(['b']);
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
