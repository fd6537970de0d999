/**
 * Durability end to end: a goal whose container is removed mid-goal, and a goal
 * whose sandbox worker stops mid-goal, both finish from the step they were on,
 * with the workspace restored from the last checkpoint (binary files,
 * deletions, renames, mode changes) and no model call made twice.
 */
import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'fs';
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { loadConfig } from '../../workers/config';
import { createAgentWorker, createSandboxWorkers } from '../../workers/create-workers';
import { containerNameFor } from '../../activities/sandbox/names';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { startTestEnvironment } from '../support/test-env';
import { buildWorkers, removeBuild, startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { containersOfGoal, docker } from '../support/docker';
import { startScriptedModelServer, type ScriptedModelServer, type ScriptedTurn } from '../../scripted-model';
import { gitIn, makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const FIX =
  '--- a/src/math.js\n+++ b/src/math.js\n@@ -2,5 +2,5 @@\n \n /** Adds two numbers. */\n function add(a, b) {\n-  return a - b;\n+  return a + b;\n }\n';
const BINARY = Buffer.from([0, 255, 1, 254, 0x62, 0x69, 0x6e, 0, 10, 13]);

let env: TestWorkflowEnvironment;
let model: ScriptedModelServer;
let dataDir: string;
let build: string;
let image: string;
const running: { name: string; workers: Worker[]; done: Promise<unknown> }[] = [];

/** Starts workers in this process; sandbox hosts by id, sharing one data dir (one ArtifactStore). */
async function start(name: string, kind: 'agent' | 'sandbox'): Promise<void> {
  const config = loadConfig({
    DRYDOCK_DATA_DIR: dataDir,
    DRYDOCK_HOST_ID: name,
    DRYDOCK_POOL_SIZE: '0',
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: 'scripted-key',
    DRYDOCK_MODEL: 'scripted',
  });
  const workers =
    kind === 'agent'
      ? [await createAgentWorker(env.nativeConnection, config)]
      : await createSandboxWorkers(env.nativeConnection, config);
  running.push({ name, workers, done: Promise.all(workers.map((w) => w.run())) });
}

async function stop(name: string): Promise<void> {
  for (const r of running.filter((x) => x.name === name)) {
    for (const w of r.workers) if (w.getState() === 'RUNNING') w.shutdown();
    await r.done;
    running.splice(running.indexOf(r), 1);
  }
}

beforeAll(async () => {
  env = await startTestEnvironment();
  model = await startScriptedModelServer({ script: [] });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-durability-'));
  await start('agent', 'agent');
  build = buildWorkers(`durability-${RUN}`);
  image = await resolveSandboxImage();
}, 180_000);

afterAll(async () => {
  for (const r of [...running]) await stop(r.name);
  await model?.close();
  await env?.teardown();
  removeGitRepos();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (build) removeBuild(build);
});

beforeEach(() => {
  model.failures.length = 0;
  model.requests.length = 0;
});

afterEach(() => {
  expect(model.failures).toEqual([]);
  expect(model.remaining()).toBe(0);
});

/** The demo repository plus files to delete, rename and make executable. */
function repoWithExtras(): string {
  const repo = makeGitRepo('demo-repo');
  writeFileSync(path.join(repo, 'old.txt'), 'to be deleted\n');
  mkdirSync(path.join(repo, 'docs'));
  writeFileSync(path.join(repo, 'docs', 'guide.md'), '# Guide\n\nSome words that stay the same.\n');
  writeFileSync(path.join(repo, 'tool.sh'), '#!/bin/sh\necho tool\n');
  chmodSync(path.join(repo, 'tool.sh'), 0o644);
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'extras');
  return repo;
}

/** Edits of every kind a checkpoint must carry: binary, deleted, renamed, mode, non-UTF-8 text, the fix. */
const EDIT_TURNS: ScriptedTurn[] = [
  {
    type: 'tool_calls',
    calls: [
      {
        name: 'shell',
        arguments: {
          command:
            "printf '\\000\\377\\001\\376bin\\000\\n\\r' > data.bin && rm old.txt && mv docs/guide.md docs/manual.md && chmod +x tool.sh && printf 'caf\\351\\n' > latin1.txt",
        },
      },
    ],
  },
  { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: FIX } }] },
];

function runGoal(workflowId: string, input: GoalInput): Promise<GoalResult> {
  return env.client.workflow
    .start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] })
    .then(readGoalResult);
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Names of the activities a workflow scheduled, in order. */
async function scheduledActivities(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes?.activityType?.name
      ? [e.activityTaskScheduledEventAttributes.activityType.name]
      : [],
  );
}

/** Checks that the PR branch holds every edit of EDIT_TURNS, byte for byte. */
function expectAllEdits(repo: string, branch: string): void {
  expect(execFileSync('git', ['show', `${branch}:data.bin`], { cwd: repo })).toEqual(BINARY);
  expect(execFileSync('git', ['show', `${branch}:latin1.txt`], { cwd: repo })).toEqual(
    Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
  );
  const files = gitIn(repo, 'ls-tree', '-r', branch).split('\n');
  expect(files.some((l) => l.endsWith('\told.txt'))).toBe(false);
  expect(files.some((l) => l.endsWith('\tdocs/guide.md'))).toBe(false);
  expect(files.find((l) => l.endsWith('\tdocs/manual.md'))).toBeDefined();
  expect(files.find((l) => l.endsWith('\ttool.sh'))).toMatch(/^100755 /);
  expect(gitIn(repo, 'show', `${branch}:src/math.js`)).toContain('return a + b;');
}

test('a container removed mid-goal is re-provisioned, the last checkpoint restored, and the interrupted step runs again', async () => {
  await start('solo', 'sandbox');
  try {
    const id = `durable-rm-${RUN}`;
    const repo = repoWithExtras();
    model.push(
      ...EDIT_TURNS,
      {
        type: 'tool_calls',
        calls: [{ name: 'shell', arguments: { command: 'sleep 4 && echo slept-through && ls docs' } }],
      },
      // The interrupted call ran again on the new sandbox, whose workspace holds the restored edits.
      {
        type: 'tool_calls',
        calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
        expect: { lastMessageIncludes: 'manual.md' },
      },
    );
    const result = runGoal(id, {
      repository: repo,
      goal: 'Make the failing test in test/math.test.js pass',
      policy: { sandboxLossTimeoutSeconds: 10 },
    });
    await waitFor('the third model turn', () => model.requests.length >= 3);
    await new Promise((r) => setTimeout(r, 1500));
    await docker.getContainer(containerNameFor(id)).remove({ force: true, v: true });
    const done = await result;

    expect(done.status).toBe('succeeded');
    expect(model.requests).toHaveLength(4);
    expectAllEdits(repo, done.pr!.branch);
    const activities = await scheduledActivities(id);
    expect(activities.filter((a) => a === 'provisionSandbox')).toHaveLength(2);
    expect(activities.filter((a) => a === 'restoreWorkspace')).toHaveLength(1);
    expect(await containersOfGoal(id)).toEqual([]);
  } finally {
    await stop('solo');
  }
}, 120_000);

test('two sandbox hosts on their own queues: one killed mid-goal, the goal finishes on the other; back, the first reaps its old container', async () => {
  const [a, b] = [`a-${RUN}`, `b-${RUN}`];
  const host = (name: string) =>
    startWorkerProcess(build, 'sandbox-worker', name, {
      DRYDOCK_DATA_DIR: dataDir,
      DRYDOCK_HOST_ID: name,
      DRYDOCK_POOL_SIZE: '0',
      DRYDOCK_SANDBOX_IMAGE: image,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    });
  const procs: WorkerProcess[] = [await host(a)];
  try {
    const id = `durable-host-${RUN}`;
    const repo = repoWithExtras();
    model.push(
      ...EDIT_TURNS,
      { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: 'sleep 3; ls docs' } }] },
      {
        type: 'tool_calls',
        calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
        expect: { lastMessageIncludes: 'manual.md' },
      },
    );
    const handle = await env.client.workflow.start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: id,
      args: [
        {
          repository: repo,
          goal: 'Make the failing test in test/math.test.js pass',
          policy: { sandboxLossTimeoutSeconds: 4 },
        },
      ],
    });
    await waitFor('the third model turn', () => model.requests.length >= 3);
    procs.push(await host(b));
    await procs[0]!.kill('SIGKILL');
    const done = await readGoalResult(handle);

    expect(done.status).toBe('succeeded');
    expect(model.requests).toHaveLength(4);
    expectAllEdits(repo, done.pr!.branch);
    const status = await handle.query<{ sandboxHost?: string }>('status');
    expect(status.sandboxHost).toBe(b);
    const activities = await scheduledActivities(id);
    expect(activities.filter((x) => x === 'provisionSandbox')).toHaveLength(2);
    // Host a held the first container and was dead when the goal ended; back, its reaper removes it.
    expect(await containersOfGoal(id)).toEqual([`/${containerNameFor(id)}`]);
    procs.push(await host(a));
    await waitFor('the reaper', async () => (await containersOfGoal(id)).length === 0, 30_000);
  } finally {
    for (const p of procs) await p.kill('SIGTERM');
  }
}, 180_000);
