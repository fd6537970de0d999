/**
 * The chaos run behind `npm run bench:chaos` and test/e2e/chaos.test.ts: K goals
 * with a step-keyed scripted model, first without faults (the reference
 * diffs), then again while worker processes are killed with SIGKILL at random
 * moments, one goal's container is removed, and the Temporal dev server (on a
 * SQLite file) is restarted. Every goal must complete with exactly one PR, the
 * same diff as without faults, no container left, and no model call repeated
 * more often than there were kills.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { projectRoot } from '../activities/find-above';
import Dockerode from 'dockerode';
import { Client, Connection } from '@temporalio/client';
import { AGENT_QUEUE } from '../workflows/queues';
import type { GoalInput, GoalResult } from '../workflows/types';
import { containerNameFor } from '../activities/sandbox/names';
import { DRYDOCK_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { temporalBinary } from '../test/support/temporal-binary';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process';
import { startChaosModel, type ChaosCall } from './chaos-model';
import { readGoalResult } from '../cli/goal-result';
import { sandboxHostsOf, timingsOf } from './history';

/** What a chaos run is asked to do. */
export interface ChaosOptions {
  /** Goals run at once. */
  goals: number;
  /** Worker processes killed with SIGKILL during the faulty run (alternating agent and sandbox worker). */
  kills: number;
  /** Folder with the compiled workers (`<dir>/workers/*.js`). */
  workersDir: string;
  /** Seed of the fault times. */
  seed?: number;
  /** Prints progress. */
  log?: (line: string) => void;
}

/** What a chaos run measured. */
export interface ChaosFigures {
  goals: number;
  kills: number;
  containerLosses: number;
  serverRestarts: number;
  completed: number;
  succeeded: number;
  duplicatePrs: number;
  diffsEqual: number;
  containersLeft: string[];
  /** Model requests beyond one per goal and step. */
  extraModelCalls: number;
  /** The largest number of requests one goal and step got. */
  maxCallsPerStep: number;
  /** Faulty-run goals that lost their sandbox and provisioned another, with the host of each sandbox in order (from history). */
  reprovisioned: { goalId: string; hosts: string[] }[];
  baselineSeconds: number;
  chaosSeconds: number;
}

/** The repository root (it runs from source and from a build folder). */
const ROOT = projectRoot();
const FIX =
  '--- a/src/math.js\n+++ b/src/math.js\n@@ -2,5 +2,5 @@\n \n /** Adds two numbers. */\n function add(a, b) {\n-  return a - b;\n+  return a + b;\n }\n';

/** The steps of every goal: a slow edit, the fix, a slow test run, finish. */
function stepsOf(goalKey: string): ChaosCall[][] {
  return [
    [
      {
        name: 'shell',
        arguments: { command: `sleep 1; printf 'goal ${goalKey}\\n' > notes.txt; printf '\\000\\001bin' > data.bin` },
      },
    ],
    [{ name: 'apply_patch', arguments: { patch: FIX } }],
    [{ name: 'shell', arguments: { command: 'sleep 2; npm test 2>&1 | tail -3' } }],
    [{ name: 'shell', arguments: { command: 'rm README.md; sleep 1; ls' } }],
    [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
  ];
}

/** Runs the baseline and the faulty run; returns the figures. */
export async function runChaos(o: ChaosOptions): Promise<ChaosFigures> {
  const log = o.log ?? (() => undefined);
  let seed = o.seed ?? 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const tag = Math.random().toString(36).slice(2, 8);
  const work = mkdtempSync(path.join(os.tmpdir(), 'drydock-chaos-'));
  const dataDir = path.join(work, 'data');
  const docker = new Dockerode();
  const model = await startChaosModel((key) => stepsOf(key));
  const port = await freePort();
  const server = new DevServer(path.join(work, 'temporal.db'), port, await freePort());
  const workers: { agent?: WorkerProcess; sandbox?: WorkerProcess } = {};
  const vars = {
    DRYDOCK_DATA_DIR: dataDir,
    DRYDOCK_HOST_ID: `chaos-${tag}`,
    DRYDOCK_POOL_SIZE: '0',
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    OPENAI_API_KEY: 'chaos-key',
    DRYDOCK_MODEL: 'scripted',
    // Each goal names its own path on the chaos model; the agent worker takes only base URLs it lists.
    DRYDOCK_MODEL_BASE_URLS: Array.from({ length: o.goals }, (_, i) => model.urlFor(`g${i}`)).join(','),
  };
  const startAgent = async () =>
    (workers.agent = await startWorkerProcess(o.workersDir, 'agent-worker', 'agent', vars));
  const startSandbox = async () =>
    (workers.sandbox = await startWorkerProcess(o.workersDir, 'sandbox-worker', 'sandbox', vars));
  const goalIds: string[] = [];
  try {
    await server.start();
    await Promise.all([startAgent(), startSandbox()]);
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const client = new Client({ connection });

    const runGoals = async (
      phase: string,
    ): Promise<{ id: string; repo: string; result?: GoalResult; error?: string }[]> => {
      const goals = Array.from({ length: o.goals }, (_, i) => {
        const key = `${phase}-${i}`;
        const repo = makeRepo(work, key);
        const id = `chaos-${tag}-${key}`;
        goalIds.push(id);
        const input: GoalInput = {
          repository: repo,
          goal: 'Make the failing test in test/math.test.js pass',
          model: { name: 'scripted', baseUrl: model.urlFor(`g${i}`) },
          policy: { sandboxLossTimeoutSeconds: 5, modelHeartbeatTimeoutSeconds: 6, modelCallTimeoutSeconds: 30 },
        };
        return { id, repo, key: `g${i}`, input };
      });
      // Each phase counts its own model requests.
      model.counts.clear();
      return Promise.all(
        goals.map(async (g) => {
          await client.workflow.start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId: g.id, args: [g.input] });
          try {
            // The handle's long poll survives the server restart: it is retried until the goal closes.
            const result = await retryUntil(() => readGoalResult(client.workflow.getHandle(g.id)), 240_000);
            return { id: g.id, repo: g.repo, result };
          } catch (err) {
            return { id: g.id, repo: g.repo, error: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
    };

    let t0 = Date.now();
    const baseline = await runGoals('base');
    const baselineSeconds = (Date.now() - t0) / 1000;
    const baselineDiffs = baseline.map((g) =>
      g.result?.pr ? diffOf(g.repo, g.result.pr.branch) : `no PR: ${g.error ?? g.result?.status}`,
    );
    log(
      `baseline: ${baseline.filter((g) => g.result?.status === 'succeeded').length}/${o.goals} succeeded in ${baselineSeconds.toFixed(1)} s`,
    );

    // The faults, at seeded random moments over the first ~20 s of the faulty run.
    let kills = 0;
    let containerLosses = 0;
    let serverRestarts = 0;
    const faults: { at: number; run: () => Promise<void> }[] = [];
    for (let k = 0; k < o.kills; k++) {
      const victim = k % 2 === 0 ? 'agent' : 'sandbox';
      faults.push({
        at: 1500 + k * 5000 + random() * 2500,
        run: async () => {
          log(`SIGKILL ${victim} worker (pid ${workers[victim]?.pid})`);
          await workers[victim]?.kill('SIGKILL');
          kills++;
          await new Promise((r) => setTimeout(r, 500 + random() * 1500));
          await (victim === 'agent' ? startAgent() : startSandbox());
        },
      });
    }
    faults.push({
      at: 4000 + random() * 3000,
      run: async () => {
        const name = containerNameFor(`chaos-${tag}-chaos-0`);
        log(`removing container ${name}`);
        await docker
          .getContainer(name)
          .remove({ force: true, v: true })
          .then(
            () => containerLosses++,
            () => undefined,
          );
      },
    });
    faults.push({
      at: 9000 + random() * 4000,
      run: async () => {
        log('restarting the Temporal dev server');
        await server.restart();
        serverRestarts++;
      },
    });
    faults.sort((a, b) => a.at - b.at);

    t0 = Date.now();
    const running = runGoals('chaos');
    const faulting = (async () => {
      for (const f of faults) {
        const wait = t0 + f.at - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await f.run();
      }
    })();
    const [chaos] = await Promise.all([running, faulting]);
    const chaosSeconds = (Date.now() - t0) / 1000;

    const counts = [...model.counts.values()];
    const extraModelCalls = counts.flat().reduce((sum, n) => sum + Math.max(0, (n ?? 0) - 1), 0);
    const maxCallsPerStep = Math.max(0, ...counts.flat().map((n) => n ?? 0));
    const chaosDiffs = chaos.map((g) =>
      g.result?.pr ? diffOf(g.repo, g.result.pr.branch) : `no PR: ${g.error ?? g.result?.status}`,
    );
    for (const g of chaos)
      if (g.error || g.result?.status !== 'succeeded')
        log(`goal ${g.id}: ${g.error ?? g.result?.status} ${g.result?.reason ?? ''}`);

    // Goals that provisioned more than one sandbox, and where each went (read from history, not from the goal).
    const reprovisioned: { goalId: string; hosts: string[] }[] = [];
    for (const g of chaos) {
      const history = await retryUntil(() => client.workflow.getHandle(g.id).fetchHistory(), 60_000);
      const hosts = sandboxHostsOf(timingsOf(history.events ?? []));
      if (hosts.length > 1) reprovisioned.push({ goalId: g.id, hosts });
    }
    for (const r of reprovisioned) log(`goal ${r.goalId} re-provisioned: sandboxes on ${r.hosts.join(' → ')}`);

    // Lost sandboxes are removed by the workflow (best-effort) or by the reaper; give them a moment.
    let containersLeft: string[] = [];
    for (const until = Date.now() + 30_000; ;) {
      containersLeft = await leftContainers(docker, goalIds);
      if (containersLeft.length === 0 || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await connection.close();
    return {
      goals: o.goals,
      kills,
      containerLosses,
      serverRestarts,
      completed: chaos.filter((g) => g.result).length,
      succeeded: chaos.filter((g) => g.result?.status === 'succeeded').length,
      duplicatePrs: [...baseline, ...chaos].reduce(
        (sum, g) => sum + Math.max(0, prCount(dataDir, g.id) + agentBranches(g.repo) - 2),
        0,
      ),
      diffsEqual: chaosDiffs.filter((d, i) => !d.startsWith('no PR') && d === baselineDiffs[i]).length,
      containersLeft,
      extraModelCalls,
      maxCallsPerStep,
      reprovisioned,
      baselineSeconds,
      chaosSeconds,
    };
  } finally {
    await workers.agent?.kill('SIGTERM');
    await workers.sandbox?.kill('SIGTERM');
    await server.stop();
    await model.close();
    for (const name of await leftContainers(docker, goalIds))
      await docker
        .getContainer(name)
        .remove({ force: true, v: true })
        .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The Temporal dev server on a SQLite file, restartable on the same port. */
class DevServer {
  private child?: ChildProcess;

  constructor(
    private readonly dbFile: string,
    private readonly port: number,
    private readonly uiPort: number,
  ) {}

  async start(): Promise<void> {
    const args = [
      'server',
      'start-dev',
      '--db-filename',
      this.dbFile,
      '--port',
      String(this.port),
      '--ui-port',
      String(this.uiPort),
      '--headless',
      '--log-level',
      'error',
      '--ip',
      '127.0.0.1',
    ];
    for (const a of DRYDOCK_SEARCH_ATTRIBUTES)
      args.push(
        '--search-attribute',
        `${a.name}=${a.type === 'KEYWORD' ? 'Keyword' : a.type === 'INT' ? 'Int' : a.type === 'DOUBLE' ? 'Double' : 'Text'}`,
      );
    this.child = spawn(temporalBinary(), args, { stdio: 'ignore' });
    for (const until = Date.now() + 30_000; ;) {
      if (await canConnect(this.port)) {
        // The frontend listens a moment before the namespace answers.
        await new Promise((r) => setTimeout(r, 1000));
        return;
      }
      if (Date.now() > until) throw new Error('the Temporal dev server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

function makeRepo(work: string, key: string): string {
  const dir = path.join(work, `repo-${key}`);
  cpSync(path.join(ROOT, 'test', 'fixtures', 'demo-repo'), dir, { recursive: true });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@t',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@t',
    GIT_AUTHOR_DATE: '2020-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2020-01-01T00:00:00Z',
  };
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'initial'],
  ])
    execFileSync('git', args, { cwd: dir, env });
  return dir;
}

/** The PR's change as a diff of trees (commit metadata left out). */
function diffOf(repo: string, branch: string): string {
  return execFileSync('git', ['diff', '--binary', 'main', branch], { cwd: repo, encoding: 'utf8' });
}

function prCount(dataDir: string, goalId: string): number {
  let files: string[] = [];
  try {
    files = readdirSync(path.join(dataDir, 'prs')).filter((f) => f.endsWith('.json'));
  } catch {
    return 0;
  }
  return files.filter(
    (f) => (JSON.parse(readFileSync(path.join(dataDir, 'prs', f), 'utf8')) as { goalId?: string }).goalId === goalId,
  ).length;
}

function agentBranches(repo: string): number {
  return execFileSync('git', ['branch', '--list', 'drydock/*'], { cwd: repo, encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim()).length;
}

async function leftContainers(docker: Dockerode, goalIds: string[]): Promise<string[]> {
  if (goalIds.length === 0) return [];
  const list = await docker.listContainers({ all: true, filters: { label: ['drydock.managed=true'] } });
  return list
    .filter(
      (c) =>
        goalIds.includes(c.Labels['drydock.goal'] ?? '') ||
        goalIds.some((id) => (c.Names[0] ?? '').startsWith(`/${containerNameFor(id)}`)),
    )
    .map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
}

/** Retries a call that fails while the server is down, until it succeeds or the time is up. */
async function retryUntil<T>(call: () => Promise<T>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'WorkflowFailedError' || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}
