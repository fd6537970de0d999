/**
 * Placement by cached environment on real sandbox hosts (issue 17, part 2 and
 * its chaos test): each host a sandbox worker on its own Docker engine with its
 * own environment cache (test/support/host-fleet.ts). A second goal on a
 * repository lands on the host that holds its cached environment although
 * another host is less loaded, and its status says `cached on <host>`; a
 * drained holder is passed over and the status says so; the host holding a
 * cached environment killed mid-goal: the goal continues on another host with
 * a cold setup and succeeds with one PR. Opt-in with the other fleet suite
 * (DRYDOCK_SANDBOX_HOSTS_E2E=1; root and dockerd needed).
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult, GoalStatusView } from '../../workflows/types';
import type { SandboxHostReport } from '../../workflows/sandbox-hosts';
import { readGoalResult } from '../../cli/goal-result';
import { canRunDockerHosts } from '../support/docker-hosts';
import { startHostFleet, type HostFleet } from '../support/host-fleet';
import { makeGitRepo } from '../support/git-fixtures';

const RUN = Math.random().toString(36).slice(2, 8);
const HOSTS = ['place-a', 'place-b', 'place-c'];
const KEYS = Array.from({ length: 10 }, (_, i) => `g${i}`);
const maybe = process.env.DRYDOCK_SANDBOX_HOSTS_E2E === '1' && canRunDockerHosts() ? describe : describe.skip;

/** What setup makes: a dependency folder (what the cache keeps). */
const SETUP = 'mkdir -p node_modules/dep && echo built > node_modules/dep/stamp';

let fleet: HostFleet;

const goalId = (key: string) => `place-${RUN}-${key}`;

/** Starts a goal (its model released at once unless `held`); returns its handle and its result (or the error's text). */
async function startGoal(key: string, repository: string, o: { held?: boolean; setup?: boolean } = {}) {
  if (!o.held) fleet.model.release(key);
  const input: GoalInput = {
    repository,
    goal: 'Make the failing test in test/math.test.js pass',
    model: { name: 'scripted', baseUrl: fleet.model.urlFor(key) },
    ...(o.setup === false ? {} : { setup: { script: SETUP } }),
    policy: { sandboxLossTimeoutSeconds: 5, modelCallTimeoutSeconds: 600, modelHeartbeatTimeoutSeconds: 30 },
  };
  const handle = await fleet.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: goalId(key),
    args: [input],
  });
  fleet.started.push(goalId(key));
  const result = readGoalResult(handle).catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
  return { handle, result: result as Promise<GoalResult | string> };
}

async function statusOf(key: string): Promise<GoalStatusView> {
  return fleet.env.client.workflow.getHandle(goalId(key)).query<GoalStatusView>('status');
}

/** The hosts whose last report advertises a cached environment of `repository`. */
function holdersOf(repository: string): string[] {
  const dir = path.join(fleet.dataDir, 'artifacts', 'hosts');
  return readdirSync(dir)
    .map((h) => {
      try {
        return JSON.parse(readFileSync(path.join(dir, h, 'report.json'), 'utf8')) as SandboxHostReport;
      } catch {
        return undefined;
      }
    })
    .filter((r) => r?.environments?.some((e) => e.repository === repository))
    .map((r) => r!.host)
    .sort();
}

/** PR records of a goal. */
function prsOf(key: string): number {
  const dir = path.join(fleet.dataDir, 'prs');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .filter((f) => (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { goalId?: string }).goalId === goalId(key))
    .length;
}

maybe('placement by cached environment', () => {
  beforeAll(async () => {
    fleet = await startHostFleet({ run: RUN, hosts: HOSTS, startNow: HOSTS.slice(0, 2), goalKeys: KEYS });
  }, 300_000);

  afterAll(async () => {
    await fleet?.stop();
  }, 180_000);

  test('two hosts: a second goal lands on the host that holds the cache, though the other is less loaded; a drained holder is passed over', async () => {
    const repo = makeGitRepo('demo-repo');
    // 1. A first goal builds the environment on one host, which then advertises it.
    const first = await startGoal('g0', repo);
    expect(await first.result).toMatchObject({ status: 'succeeded' });
    const holder = (await statusOf('g0')).sandboxHost!;
    const other = HOSTS.slice(0, 2).find((h) => h !== holder)!;
    expect((await statusOf('g0')).environment).toMatch(new RegExp(`^built on ${holder} in \\d+ s$`));
    await fleet.waitFor('the holder advertises it', async () => holdersOf(repo).includes(holder), 30_000);
    expect(holdersOf(repo)).toEqual([holder]);

    // 2. A held goal on another repository makes the holder the more loaded host (the other drained meanwhile).
    expect((await fleet.cli('hosts', 'drain', other)).code).toBe(0);
    const busy = await startGoal('g1', makeGitRepo('demo-repo'), { held: true, setup: false });
    await fleet.waitFor('the busy goal on the holder', async () =>
      ((await fleet.sandboxesByHost()).get(holder) ?? []).includes(goalId('g1')),
    );
    expect((await fleet.cli('hosts', 'undrain', other)).code).toBe(0);

    // 3. The second goal on the repository goes to the holder all the same, and starts from its cache.
    const second = await startGoal('g2', repo);
    expect(await second.result).toMatchObject({ status: 'succeeded' });
    const s2 = await statusOf('g2');
    expect([s2.sandboxHost, s2.environment]).toEqual([holder, expect.stringMatching(/^cached on \S+, \d+ s old$/)]);
    expect(s2.environment).toContain(`cached on ${holder},`);
    const shown = await fleet.cli('status', goalId('g2'));
    expect(shown.stdout).toMatch(new RegExp(`^environment\\s+cached on ${holder}, \\d+ s old$`, 'm'));

    // 4. The holder drained: the next goal is built on the other host, and its status says why.
    expect((await fleet.cli('hosts', 'drain', holder)).code).toBe(0);
    const third = await startGoal('g3', repo);
    expect(await third.result).toMatchObject({ status: 'succeeded' });
    const s3 = await statusOf('g3');
    expect([s3.sandboxHost, s3.environment]).toEqual([
      other,
      expect.stringMatching(
        new RegExp(`^built on ${other} in \\d+ s \\(cached on ${holder}, passed over: drained\\)$`),
      ),
    ]);
    expect((await fleet.cli('hosts', 'undrain', holder)).code).toBe(0);
    fleet.model.release('g1');
    expect(await busy.result).toMatchObject({ status: 'succeeded' });
  }, 400_000);

  test('chaos: the host holding the cached environment dies mid-goal; the goal continues on another host with a cold setup', async () => {
    await fleet.startHost(HOSTS[2]!);
    const repo = makeGitRepo('demo-repo');
    const first = await startGoal('g4', repo);
    expect(await first.result).toMatchObject({ status: 'succeeded' });
    const holder = (await statusOf('g4')).sandboxHost!;
    await fleet.waitFor('the holder advertises it', async () => holdersOf(repo).includes(holder), 30_000);
    expect(holdersOf(repo)).toEqual([holder]);

    // The next goal starts on the holder from its cache and is held there.
    const goal = await startGoal('g5', repo, { held: true });
    await fleet.waitFor('the goal set up on the holder', async () => {
      const s = await statusOf('g5').catch(() => undefined);
      return s?.environment !== undefined;
    });
    const before = await statusOf('g5');
    expect([before.sandboxHost, before.environment]).toEqual([
      holder,
      expect.stringMatching(new RegExp(`^cached on ${holder}, \\d+ s old$`)),
    ]);

    // The holder dies (worker and engine); the goal moves and sets up cold elsewhere.
    const index = HOSTS.indexOf(holder);
    await fleet.workers.get(holder)!.kill('SIGKILL');
    await fleet.engines[index]!.kill();
    fleet.model.release('g5');
    expect(await goal.result).toMatchObject({ status: 'succeeded' });
    const after = await statusOf('g5');
    expect(after.sandboxHost).not.toBe(holder);
    expect(after.environment).toMatch(
      new RegExp(`^built on ${after.sandboxHost} in \\d+ s \\(the sandbox on ${holder} was lost\\)$`),
    );
    const setupLog = readFileSync(path.join(fleet.dataDir, 'artifacts', 'goals', goalId('g5'), 'setup.log'), 'utf8');
    expect(setupLog).toContain('no cached environment for this key; running setup');
    expect(prsOf('g5')).toBe(1);
  }, 400_000);
});
