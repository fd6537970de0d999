/**
 * Three sandbox hosts, each a sandbox worker process on its own Docker engine
 * (test/support/docker-hosts.ts), capacity 3 each, and 9 goals held by a gated
 * model: the first 6 spread 2/2/2 (least loaded first); `drydock hosts drain`
 * on one moves none of its running goals and places no new sandbox there while
 * the other hosts fill up; a host killed mid-goal (worker and engine) loses its
 * goals to the others, and all 9 finish with one PR each. Its own slow suite
 * (DRYDOCK_SANDBOX_HOSTS_E2E=1; root and dockerd needed): about 3 minutes here
 * (the image is loaded into each engine once, ~30 s, and kept under
 * /var/lib/drydock-test-hosts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import type { SandboxHostRow } from '../../workflows/sandbox-hosts';
import { loadConfig } from '../../workers/config';
import { createAgentWorker } from '../../workers/create-workers';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { readGoalResult } from '../../cli/goal-result';
import { startTestEnvironment } from '../support/test-env';
import { buildWorkers, removeBuild, startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { canRunDockerHosts, sandboxHostVars, startDockerHosts, type DockerHost } from '../support/docker-hosts';
import { startGatedModel, type GatedModel } from '../support/gated-model';
import { makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { runCli } from '../support/cli';

const RUN = Math.random().toString(36).slice(2, 8);
const HOST_IDS = ['fleet-a', 'fleet-b', 'fleet-c'];
const GOALS = 9;
const maybe = process.env.DRYDOCK_SANDBOX_HOSTS_E2E === '1' && canRunDockerHosts() ? describe : describe.skip;

let env: TestWorkflowEnvironment;
let model: GatedModel;
let dataDir: string;
let work: string;
let build: string;
let engines: DockerHost[] = [];
const sandboxWorkers = new Map<string, WorkerProcess>();
let agent: { workers: Worker[]; done: Promise<unknown> } | undefined;

const goalId = (i: number) => `hosts-${RUN}-g${i}`;
const started: string[] = [];

/** The hosts' sandbox workers' environment: one engine each, the data dir (the store) shared. */
function hostVars(engine: DockerHost, image: string): Record<string, string> {
  return sandboxHostVars(engine, {
    dataDir,
    image,
    work,
    temporal: { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' },
  });
}

maybe('three sandbox hosts', () => {
  let image: string;

  beforeAll(async () => {
    image = await resolveSandboxImage();
    build = buildWorkers(`hosts-${RUN}`);
    engines = await startDockerHosts(HOST_IDS, image);
    env = await startTestEnvironment();
    model = await startGatedModel();
    work = mkdtempSync(path.join(os.tmpdir(), 'drydock-hosts-'));
    dataDir = path.join(work, 'data');
    const config = loadConfig({
      DRYDOCK_DATA_DIR: dataDir,
      DRYDOCK_HOST_ID: 'agent',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      OPENAI_API_KEY: 'scripted-key',
      DRYDOCK_MODEL: 'scripted',
      DRYDOCK_MODEL_BASE_URLS: Array.from({ length: GOALS }, (_, i) => model.urlFor(`g${i}`)).join(','),
    });
    const workers = [await createAgentWorker(env.nativeConnection, config)];
    agent = { workers, done: Promise.all(workers.map((w) => w.run())) };
    for (const engine of engines)
      sandboxWorkers.set(
        engine.id,
        await startWorkerProcess(build, 'sandbox-worker', engine.id, hostVars(engine, image)),
      );
  }, 300_000);

  afterAll(async () => {
    model?.releaseAll();
    // Goals a failed run left open end here, so that no result wait outlives the server.
    for (const id of started)
      await env?.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    for (const w of sandboxWorkers.values()) await w.kill('SIGTERM');
    for (const w of agent?.workers ?? []) if (w.getState() === 'RUNNING') w.shutdown();
    await agent?.done;
    for (const e of engines) await e.stop();
    await model?.close();
    await env?.teardown();
    removeGitRepos();
    if (work) rmSync(work, { recursive: true, force: true });
    if (build) removeBuild(build);
  }, 180_000);

  /** Goal sandboxes (not verification ones) running on each engine now, by host: the goal ids. */
  async function sandboxesByHost(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const e of engines) {
      if (!e.running()) {
        out.set(e.id, []);
        continue;
      }
      const list = await e.docker
        .listContainers({ filters: { label: ['drydock.managed=true'] } })
        .catch(() => [] as { Labels: Record<string, string> }[]);
      out.set(
        e.id,
        list
          .filter((c) => c.Labels['drydock.role'] !== 'verify' && c.Labels['drydock.goal'])
          .map((c) => c.Labels['drydock.goal']!)
          .sort(),
      );
    }
    return out;
  }

  async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > until)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...(await sandboxesByHost())])}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const count = (m: Map<string, string[]>) => [...m.values()].reduce((n, ids) => n + ids.length, 0);

  test('9 goals spread over them; draining one moves no running goal and places no new one there; killing one finishes all 9', async () => {
    const cli = (...args: string[]) =>
      runCli(args, { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' });
    // Every goal's sandbox host seen while it ran (a goal that moved shows two).
    const seenOn = new Map<string, Set<string>>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const [host, ids] of await sandboxesByHost())
          for (const id of ids) seenOn.set(id, new Set([...(seenOn.get(id) ?? []), host]));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    const results = new Map<string, Promise<GoalResult | string>>();
    const startGoal = async (i: number) => {
      const input: GoalInput = {
        repository: makeGitRepo('demo-repo'),
        goal: 'Make the failing test in test/math.test.js pass',
        model: { name: 'scripted', baseUrl: model.urlFor(`g${i}`) },
        policy: { sandboxLossTimeoutSeconds: 5, modelCallTimeoutSeconds: 600, modelHeartbeatTimeoutSeconds: 30 },
      };
      const handle = await env.client.workflow.start('codingAgent', {
        taskQueue: AGENT_QUEUE,
        workflowId: goalId(i),
        args: [input],
      });
      started.push(goalId(i));
      results.set(
        goalId(i),
        readGoalResult(handle).catch((err: unknown) => (err instanceof Error ? err.message : String(err))),
      );
    };

    try {
      // 1. Six goals: least loaded first puts two on each host.
      for (let i = 0; i < 6; i++) await startGoal(i);
      await waitFor('6 sandboxes', async () => count(await sandboxesByHost()) === 6);
      const first = await sandboxesByHost();
      expect([...first.values()].map((ids) => ids.length)).toEqual([2, 2, 2]);

      // A fourth worker under fleet-b's id refuses to start, naming the worker that has it.
      await expect(startWorkerProcess(build, 'sandbox-worker', 'twin', hostVars(engines[1]!, image))).rejects.toThrow(
        /exited with 1 before it started:[\s\S]*DRYDOCK_HOST_ID=fleet-b is in use by another sandbox worker \(\d+@/,
      );

      // 2. Drain fleet-c: its two goals stay; the three new goals go to a and b only (capacity 3 each: one waits).
      const [a, b, c] = HOST_IDS as [string, string, string];
      const onC = first.get(c)!;
      const unknown = await cli('hosts', 'drain', 'fleet-x');
      expect([unknown.code, unknown.stderr.trim()]).toEqual([
        2,
        `drydock: no sandbox host "fleet-x" has reported; hosts: ${HOST_IDS.join(', ')}`,
      ]);
      const drained = await cli('hosts', 'drain', c);
      expect(drained.stderr).toBe('');
      expect(drained.code).toBe(0);
      expect(drained.stdout).toContain(`${c} drained`);
      expect(drained.stdout).toMatch(new RegExp(`${c}\\s+2/3\\s+up\\s+draining \\(2 running\\)`));
      // doctor finds every host, the drained one too (it no longer polls the shared queue), and says so.
      const doctor = await cli('doctor', '--json');
      const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
      expect(checks.filter((k) => k.name === 'sandbox host').map((k) => [k.ok, k.detail])).toEqual(
        expect.arrayContaining(
          HOST_IDS.map((h) => [
            true,
            `${h}: polls drydock-sandbox-${h}${h === c ? ' (drained: takes no new sandbox)' : ''}`,
          ]),
        ),
      );
      for (let i = 6; i < 9; i++) await startGoal(i);
      await waitFor('a and b full', async () => {
        const now = await sandboxesByHost();
        return now.get(a)!.length === 3 && now.get(b)!.length === 3;
      });
      // The ninth waits for room: a few seconds on, fleet-c still holds only its own two.
      await new Promise((r) => setTimeout(r, 4000));
      const second = await sandboxesByHost();
      expect(second.get(c)).toEqual(onC);
      expect(count(second)).toBe(8);
      const listed = await cli('hosts', '--json');
      expect(listed.code).toBe(0);
      const rows = JSON.parse(listed.stdout) as SandboxHostRow[];
      expect(rows.map((r) => [r.host, r.running >= 3 || r.host === c, r.drained, r.health])).toEqual([
        [a, true, false, 'up'],
        [b, true, false, 'up'],
        [c, true, true, 'up'],
      ]);

      // 3. The drained host's goals finish there; then it is undrained.
      for (const id of onC) model.release(id.replace(/^.*-(g\d+)$/, '$1'));
      for (const id of onC) expect(await results.get(id)).toMatchObject({ status: 'succeeded' });
      await waitFor('fleet-c empty', async () => (await sandboxesByHost()).get(c)!.length === 0);
      expect((await cli('hosts', 'undrain', c)).code).toBe(0);
      await waitFor('the ninth placed', async () => count(await sandboxesByHost()) === 7);

      // 4. Kill fleet-a (its worker with SIGKILL, then its engine): its goals re-provision on the others.
      const onA = (await sandboxesByHost()).get(a)!;
      expect(onA).toHaveLength(3);
      await sandboxWorkers.get(a)!.kill('SIGKILL');
      await engines[0]!.kill();
      model.releaseAll();
      const all = await Promise.all([...results.entries()].map(async ([id, r]) => [id, await r] as const));
      for (const [id, r] of all) expect([id, typeof r === 'string' ? r : r.status]).toEqual([id, 'succeeded']);
      expect(all).toHaveLength(GOALS);
      // Each goal has one PR record; only the killed host's goals ran on two hosts.
      const prsDir = path.join(dataDir, 'prs');
      const recordGoals = readdirSync(prsDir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => (JSON.parse(readFileSync(path.join(prsDir, f), 'utf8')) as { goalId?: string }).goalId);
      for (let i = 0; i < GOALS; i++)
        expect([goalId(i), recordGoals.filter((g) => g === goalId(i)).length]).toEqual([goalId(i), 1]);
      watching = false;
      await watcher;
      const moved = [...seenOn].filter(([, hosts]) => hosts.size > 1).map(([id]) => id);
      expect(moved.sort()).toEqual([...onA].sort());
      for (const id of onA) expect(seenOn.get(id)?.has(a)).toBe(true);
      // Nothing left on the hosts still up.
      await waitFor('no sandbox left', async () => count(await sandboxesByHost()) === 0, 60_000);
    } finally {
      watching = false;
      await watcher;
    }
  }, 600_000);
});
