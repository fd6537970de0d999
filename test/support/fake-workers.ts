/**
 * The fast workflow tier's stack: a real Temporal dev server, the real
 * workflows (bundled once per version of their sources, cached in the temp
 * directory), and workers on drydock's queues that run the fake activities.
 * No Docker, no git, no model server.
 */
import { createHash } from 'crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll } from '@jest/globals';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { projectRoot } from '../../activities/find-above';
import { payloadCodecsFor } from '../../activities/security/payload-codec';
import { AGENT_QUEUE, SANDBOX_QUEUE, sandboxHostQueue } from '../../workflows/queues';
import { DRYDOCK_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { devServerDynamicConfigArgs } from './dev-server-args';
import { createFakeAgentActivities, createFakeSandboxActivities } from './fake-activities';
import { FakeGoal, type FakeGoalScript } from './fake-goal';
import { FAKE_HOSTS } from './fake-sandbox-activities';
import { temporalBinary } from './temporal-binary';

/** The stack of one test file; its fields are set once beforeAll has run. */
export interface FakeDrydock {
  env: TestWorkflowEnvironment;
  /** The client goals are started with: env.client, or one with the payload codec when the stack has a payload key. */
  client: Client;
  /** A goal with this (file-unique) workflow id, run by fakes that follow the script. */
  goal(workflowId: string, script: FakeGoalScript): FakeGoal;
}

/** How a test file's stack differs from the default. */
export interface FakeDrydockOptions {
  /** DRYDOCK_PAYLOAD_KEY: the workers and the client encrypt every payload with it (activities/security/payload-codec.ts). */
  payloadKey?: string;
}

/** The workflow sources (also when this file runs compiled, from dist/). */
const WORKFLOWS_DIR = path.join(projectRoot(), 'workflows');
/** Name prefix of the cached bundles in the temp directory. */
const BUNDLE_PREFIX = 'drydock-fast-tier-workflows-';

/** Starts the stack before the file's tests and stops it after. */
export function useFakeDrydock(o: FakeDrydockOptions = {}): FakeDrydock {
  const goals = new Map<string, FakeGoal>();
  const stack = {
    goal(workflowId: string, script: FakeGoalScript) {
      if (goals.has(workflowId)) throw new Error(`two goals of this file are called ${workflowId}`);
      const goal = new FakeGoal(workflowId, script, (id, input) =>
        stack.client.workflow.start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId: id, args: [input] }),
      );
      goals.set(workflowId, goal);
      return goal;
    },
  } as FakeDrydock;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    quietRuntime();
    const [env, bundle] = await Promise.all([startDevServer(), workflowBundle()]);
    stack.env = env;
    const dataConverter = { payloadCodecs: payloadCodecsFor(o.payloadKey) };
    stack.client = o.payloadKey
      ? new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter })
      : env.client;
    stop = await runFakeWorkers(env, bundle, dataConverter, (id) => {
      const goal = goals.get(id);
      if (!goal) throw new Error(`no fake goal for workflow ${id}`);
      return goal;
    });
  }, 120_000);
  afterAll(async () => {
    await stop?.();
    await stack.env?.teardown();
  });
  return stack;
}

/**
 * The dev server as test-env.ts starts it, plus one flag: a run that continues
 * as new within a second of its start waits out the rest of that second
 * (history.workflowIdReuseMinimalInterval); a real run lasts far longer, the
 * stories' runs do not.
 */
function startDevServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      searchAttributes: DRYDOCK_SEARCH_ATTRIBUTES,
      extraArgs: [
        '--log-level',
        'error',
        ...devServerDynamicConfigArgs(),
        '--dynamic-config-value',
        'history.workflowIdReuseMinimalInterval=0',
      ],
    },
  });
}

/** Logs only errors: the stories make activities fail on purpose, and the SDK warns of every one. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already in this process (another file's stack): keep it.
  }
}

/** Starts the agent worker and the sandbox workers (shared queue, each fake host's queue); returns how to stop them. */
async function runFakeWorkers(
  env: TestWorkflowEnvironment,
  bundle: { codePath: string },
  dataConverter: WorkerOptions['dataConverter'],
  goalOf: (id: string) => FakeGoal,
): Promise<() => Promise<void>> {
  const common: Omit<WorkerOptions, 'taskQueue'> = {
    connection: env.nativeConnection,
    dataConverter,
    namespace: env.namespace ?? 'default',
    shutdownGraceTime: '1s',
    // Cancellation reaches a heartbeating activity at its next heartbeat: keep that short.
    maxHeartbeatThrottleInterval: '200ms',
  };
  const sandboxActivities = createFakeSandboxActivities(goalOf);
  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: AGENT_QUEUE,
      workflowBundle: bundle,
      activities: createFakeAgentActivities(goalOf),
    }),
    ...[SANDBOX_QUEUE, ...FAKE_HOSTS.map(sandboxHostQueue)].map((taskQueue) =>
      Worker.create({ ...common, taskQueue, activities: sandboxActivities }),
    ),
  ]);
  const running = workers.map((w) => w.run());
  return async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(running);
  };
}

/**
 * The workflows bundled once per version of their sources (every .ts under
 * workflows/, recursively) and of the workflow SDK, cached in the temp directory.
 */
async function workflowBundle(): Promise<{ codePath: string }> {
  const codePath = path.join(os.tmpdir(), `${BUNDLE_PREFIX}${sourcesHash()}.js`);
  if (!existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(WORKFLOWS_DIR, 'index.ts'),
      logger: new DefaultLogger('WARN'),
    });
    const partial = `${codePath}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, codePath);
    removeStaleBundles(codePath);
  }
  return { codePath };
}

/** Removes bundles of older sources (left an hour, in case a run of another checkout still uses one). */
function removeStaleBundles(current: string): void {
  const dir = path.dirname(current);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!name.startsWith(BUNDLE_PREFIX) || file === current) continue;
    try {
      if (Date.now() - statSync(file).mtimeMs > 3600_000) rmSync(file, { force: true });
    } catch {
      // Removed by another run meanwhile.
    }
  }
}

/** A hash of every workflow source and the workflow SDK's version. */
function sourcesHash(): string {
  const hash = createHash('sha256');
  const files = (readdirSync(WORKFLOWS_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).sort();
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(WORKFLOWS_DIR, file)))
      .update('\0');
  for (const pkg of ['@temporalio/workflow', '@temporalio/common']) {
    hash
      .update(pkg)
      .update(
        (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version,
      );
  }
  return hash.digest('hex').slice(0, 16);
}
