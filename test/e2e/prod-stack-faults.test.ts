/**
 * Goals on the production-shaped stack (scripts/prod-stack: mTLS, PostgreSQL,
 * 4 history shards) with drydock's workers as processes: an agent worker and
 * three sandbox hosts, each a sandbox worker on a Docker engine of its own
 * (test/support/docker-hosts.ts). A scheduled maintenance run over two
 * repositories; PostgreSQL that cannot start, lost mid-run and back; and the
 * chaos run: 6 goals while the agent worker and a sandbox worker are killed
 * (SIGKILL) and started again, the Temporal server process restarts and a
 * host's Docker engine stops. Every goal completes with one PR, no container
 * is left. Opt-in (DRYDOCK_PROD_STACK_E2E=1, root and dockerd); about 4
 * minutes here once the server is built and the image is in the engines.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Client } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import type { MaintenanceResult } from '../../workflows/maintenance';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { readGoalResult } from '../../cli/goal-result';
import { startChaosModel, type ChaosCall, type ChaosModel } from '../../bench/chaos-model';
import { runCli } from '../support/cli';
import { canRunDockerHosts, sandboxHostVars, startDockerHosts, type DockerHost } from '../support/docker-hosts';
import { makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { connectProdStack, prodStack, profileOf } from '../support/prod-stack';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const ROOT = path.join(__dirname, '..', '..');
/** The compiled workers of `npm run build` (the suite runs after it, like prod-stack.test.ts). */
const DIST = path.join(ROOT, 'dist');
const RUN = Math.random().toString(36).slice(2, 8);
const HOST_IDS = ['pstack-a', 'pstack-b', 'pstack-c'];
const PG_PORT = Number(process.env.DRYDOCK_PROD_PG_PORT ?? 55432);
const maybe = process.env.DRYDOCK_PROD_STACK_E2E === '1' && canRunDockerHosts() ? describe : describe.skip;

const FIX =
  '--- a/src/math.js\n+++ b/src/math.js\n@@ -2,5 +2,5 @@\n \n /** Adds two numbers. */\n function add(a, b) {\n-  return a - b;\n+  return a + b;\n }\n';

/** Every goal's steps (the model answers by step, so a repeated call gets the same answer): slow enough to be hit. */
const STEPS: ChaosCall[][] = [
  [{ name: 'shell', arguments: { command: "sleep 3; printf 'notes\\n' > notes.txt" } }],
  [{ name: 'apply_patch', arguments: { patch: FIX } }],
  [{ name: 'shell', arguments: { command: 'sleep 3; npm test 2>&1 | tail -3' } }],
  [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
];

const GOAL = 'Make the failing test in test/math.test.js pass';
/** Short waits for a lost sandbox and a lost model call, so that faults cost seconds. */
const POLICY = { sandboxLossTimeoutSeconds: 5, modelCallTimeoutSeconds: 60, modelHeartbeatTimeoutSeconds: 10 };

let profile: Record<string, string> = {};
let client: Client;
let closeClient: (() => Promise<void>) | undefined;
let model: ChaosModel;
let engines: DockerHost[] = [];
let work: string;
let dataDir: string;
let image: string;
let agent: WorkerProcess | undefined;
const sandboxWorkers = new Map<string, WorkerProcess>();
const started: string[] = [];

const agentVars = () => ({
  ...profile,
  DRYDOCK_DATA_DIR: dataDir,
  DRYDOCK_HOST_ID: 'pstack-agent',
  DRYDOCK_MODEL: 'scripted',
  OPENAI_BASE_URL: model.urlFor('all'),
  OPENAI_API_KEY: 'scripted-key',
});
const startAgent = async () => (agent = await startWorkerProcess(DIST, 'agent-worker', 'agent', agentVars()));
const startSandbox = async (engine: DockerHost) =>
  sandboxWorkers.set(
    engine.id,
    await startWorkerProcess(
      DIST,
      'sandbox-worker',
      engine.id,
      sandboxHostVars(engine, { dataDir, image, work, temporal: profile }),
    ),
  );

/** Waits for a goal's result, asking again while the server is away (a restart, a lost database). */
async function resultOf(id: string, timeoutMs = 300_000): Promise<GoalResult | string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await readGoalResult(client.workflow.getHandle(id));
    } catch (err) {
      if ((err as Error).name === 'WorkflowFailedError' || Date.now() > until)
        return err instanceof Error ? err.message : String(err);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Starts a goal on the demo repository; `result` settles when it ends. */
async function startGoal(id: string): Promise<{ result: Promise<GoalResult | string> }> {
  const input: GoalInput = { repository: makeGitRepo('demo-repo'), goal: GOAL, policy: POLICY };
  await client.workflow.start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId: id, args: [input] });
  started.push(id);
  return { result: resultOf(id) };
}

/** PR records per goal id, from the shared data dir. */
function prRecords(): Map<string, number> {
  const counts = new Map<string, number>();
  const dir = path.join(dataDir, 'prs');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const goalId = (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { goalId?: string }).goalId ?? '';
    counts.set(goalId, (counts.get(goalId) ?? 0) + 1);
  }
  return counts;
}

/** drydock's containers of this run on each running engine, by host. */
async function containersByHost(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const e of engines) {
    if (!e.running()) continue;
    const list = await e.docker
      .listContainers({ all: true, filters: { label: ['drydock.managed=true'] } })
      .catch(() => [] as { Labels: Record<string, string>; Names: string[] }[]);
    out.set(
      e.id,
      list.filter((c) => (c.Labels['drydock.goal'] ?? '').includes(RUN)).map((c) => c.Names[0] ?? '?'),
    );
  }
  return out;
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

maybe('goals on the production-shaped stack, with faults', () => {
  beforeAll(async () => {
    const up = await prodStack('up');
    expect(up.stderr).toMatch(/mTLS, 4 history shards, PostgreSQL/);
    expect(up.code).toBe(0);
    profile = profileOf(up.stdout);
    ({ client, close: closeClient } = await connectProdStack(profile));
    image = await resolveSandboxImage();
    engines = await startDockerHosts(HOST_IDS, image);
    model = await startChaosModel(() => STEPS);
    work = mkdtempSync(path.join(os.tmpdir(), 'drydock-pstack-'));
    dataDir = path.join(work, 'data');
    await startAgent();
    for (const engine of engines) await startSandbox(engine);
  }, 35 * 60_000);

  afterAll(async () => {
    // A failed run's goals end here, so that no result wait outlives the stack.
    await prodStack('db-start');
    for (const id of started)
      await client?.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    await agent?.kill('SIGTERM');
    for (const w of sandboxWorkers.values()) await w.kill('SIGTERM');
    for (const e of engines) await e.stop();
    await model?.close();
    await closeClient?.();
    removeGitRepos();
    if (work) rmSync(work, { recursive: true, force: true });
    await prodStack('down');
  }, 180_000);

  test('a scheduled maintenance run over two repositories: triggered now, one goal and one PR per repository', async () => {
    const repos = [makeGitRepo('demo-repo'), makeGitRepo('demo-repo')];
    const scheduleId = `pstack-maint-${RUN}`;
    const cli = (...args: string[]) => runCli(args, profile);
    const created = await cli(
      'schedule',
      'create',
      '--id',
      scheduleId,
      '--cron',
      '0 3 * * 1',
      '--repo',
      repos[0]!,
      '--repo',
      repos[1]!,
      '--goal',
      GOAL,
      '--paused',
    );
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`created schedule ${scheduleId}: "0 3 * * 1" over 2 repositories`);
    try {
      expect((await cli('schedule', 'trigger', scheduleId)).code).toBe(0);
      let runId: string | undefined;
      await waitFor('the schedule to start its run', async () => {
        const shown = JSON.parse((await cli('schedule', 'show', scheduleId, '--json')).stdout) as {
          recentActions: { workflowId: string }[];
        };
        runId = shown.recentActions[0]?.workflowId;
        return runId !== undefined;
      });
      started.push(runId!);
      const result = (await client.workflow.getHandle(runId!).result()) as MaintenanceResult;
      expect(result.lines.map((l) => [l.repository, l.status])).toEqual(repos.map((r) => [r, 'succeeded']));
      expect([result.succeeded, result.failed]).toEqual([2, 0]);
      const prs = prRecords();
      for (const line of result.lines) {
        expect(line.pr).toBeTruthy();
        expect([line.workflowId, prs.get(line.workflowId)]).toEqual([line.workflowId, 1]);
      }
    } finally {
      await cli('schedule', 'delete', scheduleId);
    }
  }, 240_000);

  test('PostgreSQL that cannot start, and lost mid-run: one line each from up, the CLI and a worker; goals started before carry on once it is back', async () => {
    const results = [(await startGoal(`pstack-db-${RUN}-0`)).result, (await startGoal(`pstack-db-${RUN}-1`)).result];
    await waitFor('both goals in their sandboxes', async () =>
      [...(await containersByHost()).values()].some((names) => names.length > 0),
    );
    const stop = await prodStack('db-stop');
    expect(stop.stderr).toMatch(/PostgreSQL stopped/);
    // Something else on PostgreSQL's port: `up` says why PostgreSQL did not start and who holds the port.
    // (It hangs up on whoever connects: the Temporal server keeps trying its database.)
    const squatter = net.createServer((socket) => socket.destroy()).listen(PG_PORT, '127.0.0.1');
    try {
      await new Promise((r) => squatter.once('listening', r));
      const up = await prodStack('up');
      expect(up.code).toBe(1);
      expect(up.stderr.trim().split('\n')).toHaveLength(1);
      expect(up.stderr).toMatch(
        new RegExp(
          `^drydock: PostgreSQL did not start on 127\\.0\\.0\\.1:${PG_PORT}: could not bind IPv4 address "127\\.0\\.0\\.1": Address already in use; .*port ${PG_PORT} is held by node \\(pid ${process.pid}\\)`,
        ),
      );
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    // The server answers, its database does not: the CLI (exit 3) and a new worker (exit 1) say so in one line.
    const outage =
      /Temporal at 127\.0\.0\.1:\d+ answers, but its database does not \(the server said: \w+ operation failed\. .*\): check the server's persistence store/;
    const [listed, worker] = await Promise.all([
      runCli(['list'], profile),
      startWorkerProcess(DIST, 'agent-worker', 'second agent', agentVars()).then(
        (w) => w.kill('SIGTERM').then(() => 'started'),
        (err: Error) => err.message,
      ),
    ]);
    expect(listed.code).toBe(3);
    expect(listed.stderr.trim().split('\n')).toHaveLength(1);
    expect(listed.stderr).toMatch(outage);
    expect(worker).toMatch(
      /exited with 1 before it started:\ndrydock agent worker failed: Temporal at .* answers, but its database does not/,
    );
    expect(worker.trim().split('\n')).toHaveLength(2);
    const back = await prodStack('db-start');
    expect(back.code).toBe(0);
    for (const r of results) expect(await r).toMatchObject({ status: 'succeeded' });
    const prs = prRecords();
    for (const id of started.slice(-2)) expect([id, prs.get(id)]).toEqual([id, 1]);
  }, 300_000);

  test('the chaos run: 6 goals while workers are killed, the server restarts and a host engine stops; one PR each, no container left', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `pstack-chaos-${RUN}-${i}`);
    const results = new Map<string, Promise<GoalResult | string>>();
    for (const id of ids) results.set(id, (await startGoal(id)).result);
    const closed = new Set<string>();
    for (const [id, r] of results) void r.then(() => closed.add(id));
    const running = async () => [...(await containersByHost()).values()].reduce((n, names) => n + names.length, 0);
    await waitFor('the goals in their sandboxes', async () => (await running()) >= 4);

    // The agent worker, killed and started again.
    await agent!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    await startAgent();
    // A sandbox host's worker (its engine stays), killed and started again.
    const [a, b, c] = engines as [DockerHost, DockerHost, DockerHost];
    await sandboxWorkers.get(b.id)!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    await startSandbox(b);
    // The Temporal server process (PostgreSQL stays).
    const restart = await prodStack('restart');
    expect(restart.stderr).toMatch(/Temporal server started again/);
    expect(restart.code).toBe(0);
    // A host's Docker engine stops (its worker stays): its goals re-provision on the others.
    const onC = (await containersByHost()).get(c.id) ?? [];
    await c.kill();
    const openAtLastFault = ids.length - closed.size;

    const all = await Promise.all(ids.map(async (id) => [id, await results.get(id)!] as const));
    for (const [id, r] of all) expect([id, typeof r === 'string' ? r : r.status]).toEqual([id, 'succeeded']);
    // The faults hit goals that were running, and the stopped engine held some of them (they moved).
    expect(openAtLastFault).toBeGreaterThan(0);
    expect(onC.length).toBeGreaterThan(0);
    const prs = prRecords();
    for (const id of ids) expect([id, prs.get(id)]).toEqual([id, 1]);
    // The engine back, and its worker started again: the reaper removes what the stop left there.
    await c.start();
    await sandboxWorkers.get(c.id)!.kill('SIGTERM');
    await startSandbox(c);
    await waitFor('no container left on any host', async () => (await running()) === 0, 60_000).catch(
      async (err: Error) => {
        throw new Error(
          `${err.message}: ${JSON.stringify([...(await containersByHost())])} (on c at its stop: ${onC})`,
        );
      },
    );
    expect(a.running() && b.running() && c.running()).toBe(true);
  }, 420_000);
});
