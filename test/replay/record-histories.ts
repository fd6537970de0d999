/**
 * Records the replay fixtures in test/replay/histories/: real goals against the
 * real dev server, Docker and git, with the scripted model. Run it after a
 * deliberate, patched() workflow change, and commit the new JSON:
 *
 *   npx jest --testMatch '<rootDir>/test/replay/record-histories.ts'
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFileSync } from 'child_process';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { approvePlanUpdate, approvePublishUpdate, statusQuery } from '../../workflows/messages';
import { containerNameFor } from '../../activities/sandbox/names';
import { startTestEnvironment } from '../support/test-env';
import { temporalBinary } from '../support/temporal-binary';
import { startWorkers, type RunningWorkers } from '../support/workers';
import { docker } from '../support/docker';
import { startScriptedModelServer, type ScriptedModelServer, type ScriptedTurn } from '../../scripted-model';
import { makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const OUT = path.join(__dirname, 'histories');
const GOAL = 'Make the failing test in test/math.test.js pass';
const FIX =
  '--- a/src/math.js\n+++ b/src/math.js\n@@ -2,5 +2,5 @@\n \n /** Adds two numbers. */\n function add(a, b) {\n-  return a - b;\n+  return a + b;\n }\n';
const FIX_TURNS: ScriptedTurn[] = [
  { type: 'tool_calls', calls: [{ name: 'read_file', arguments: { path: 'src/math.js' } }] },
  { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: FIX } }] },
  { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }] },
];

let env: TestWorkflowEnvironment;
let workers: RunningWorkers;
let model: ScriptedModelServer;

beforeAll(async () => {
  env = await startTestEnvironment();
  model = await startScriptedModelServer({ script: [] });
  workers = await startWorkers(env, {
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: 'scripted-key',
    DRYDOCK_MODEL: 'scripted',
    DRYDOCK_POOL_SIZE: '0',
  });
}, 120_000);

afterAll(async () => {
  await workers?.stop();
  await model?.close();
  await env?.teardown();
  removeGitRepos();
});

/** Runs a goal, checks it succeeded, and writes its history as `<name>.json`. */
async function record(
  name: string,
  input: GoalInput,
  during?: (workflowId: string) => Promise<void>,
  run: 'last' | 'first' = 'last',
  status: GoalResult['status'] = 'succeeded',
): Promise<void> {
  const workflowId = `replay-${name}-${RUN}`;
  const handle = await env.client.workflow.start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] });
  await during?.(workflowId);
  const result = await readGoalResult(handle);
  expect(result.status).toBe(status);
  expect(model.remaining()).toBe(0);
  // The CLI's JSON is the format Worker.runReplayHistories reads (historyFromJSON).
  const runArgs = run === 'first' ? ['--run-id', handle.firstExecutionRunId] : [];
  const json = execFileSync(
    temporalBinary(),
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      ...runArgs,
      '--output',
      'json',
      '--address',
      env.address,
      '--namespace',
      env.namespace ?? 'default',
    ],
    {
      encoding: 'utf8',
    },
  );
  writeFileSync(path.join(OUT, `${name}.json`), json);
}

test('happy path', async () => {
  model.push(...FIX_TURNS);
  await record('happy-path', { repository: makeGitRepo('demo-repo'), goal: GOAL });
}, 120_000);

test('a retried model call', async () => {
  model.push({ type: 'error', status: 500, message: 'scripted outage' }, ...FIX_TURNS);
  await record('retried-model-call', { repository: makeGitRepo('demo-repo'), goal: GOAL });
}, 120_000);

test('a sandbox re-provision', async () => {
  model.push(
    FIX_TURNS[0]!,
    FIX_TURNS[1]!,
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: 'sleep 4; npm test' } }] },
    FIX_TURNS[2]!,
  );
  await record(
    'sandbox-reprovision',
    { repository: makeGitRepo('demo-repo'), goal: GOAL, policy: { sandboxLossTimeoutSeconds: 10 } },
    async (id) => {
      while (model.requests.length < 3) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1500));
      await docker.getContainer(containerNameFor(id)).remove({ force: true, v: true });
    },
  );
}, 120_000);

test('a run that continues as new (its first run, which ends in ContinuedAsNew)', async () => {
  model.push(...FIX_TURNS);
  await record(
    'continue-as-new',
    { repository: makeGitRepo('demo-repo'), goal: GOAL, policy: { turnsPerRun: 2 } },
    undefined,
    'first',
  );
}, 120_000);

test('a setup phase, then a sandbox re-provision (the baseline recorded on each sandbox)', async () => {
  model.push(
    FIX_TURNS[0]!,
    FIX_TURNS[1]!,
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: 'sleep 4; npm test' } }] },
    FIX_TURNS[2]!,
  );
  await record(
    'setup-reprovision',
    {
      repository: makeGitRepo('demo-repo'),
      goal: GOAL,
      setup: { script: 'mkdir -p build && echo built > build/out.txt' },
      policy: { sandboxLossTimeoutSeconds: 10 },
    },
    async (id) => {
      while (model.requests.length < 3) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1500));
      await docker.getContainer(containerNameFor(id)).remove({ force: true, v: true });
    },
  );
}, 120_000);

test('a goal placed on the host that holds its cached environment (a first goal on the repository builds it)', async () => {
  const repository = makeGitRepo('demo-repo');
  const setup = { script: 'mkdir -p build && echo built > build/out.txt' };
  model.push(...FIX_TURNS);
  const first = await readGoalResult(
    await env.client.workflow.start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: `replay-placement-build-${RUN}`,
      args: [{ repository, goal: GOAL, setup }],
    }),
  );
  expect(first.status).toBe('succeeded');
  // The host advertises the new entry in its next report (every 2 s).
  await new Promise((r) => setTimeout(r, 4000));
  model.push(...FIX_TURNS);
  await record('environment-placement', { repository, goal: GOAL, setup });
}, 180_000);

/** Polls the goal's status until its phase is `phase`. */
async function phaseOf(workflowId: string, phase: string): Promise<void> {
  const handle = env.client.workflow.getHandle(workflowId);
  while ((await handle.query(statusQuery)).phase !== phase) await new Promise((r) => setTimeout(r, 200));
}

test('both approval gates (the awaiting phases, named wait timers, the paused deadline)', async () => {
  model.push({ type: 'text', content: '1. Fix add in src/math.js\n2. Run npm test' }, ...FIX_TURNS);
  await record(
    'approval-gates',
    {
      repository: makeGitRepo('demo-repo'),
      goal: GOAL,
      policy: { requirePlanApproval: true, requirePublishApproval: true },
    },
    async (id) => {
      const handle = env.client.workflow.getHandle(id);
      await phaseOf(id, 'awaiting_plan_approval');
      await handle.executeUpdate(approvePlanUpdate, { args: [{ approved: true, by: 'recorder' }] });
      await phaseOf(id, 'awaiting_publish_approval');
      await handle.executeUpdate(approvePublishUpdate, { args: [{ approved: true, by: 'recorder' }] });
    },
  );
}, 120_000);

test('a goal that fails (a plan rejected: the execution fails with the GoalResult as details)', async () => {
  model.push({ type: 'text', content: '1. Delete the tests' });
  await record(
    'failed-goal',
    { repository: makeGitRepo('demo-repo'), goal: GOAL, policy: { requirePlanApproval: true } },
    async (id) => {
      await phaseOf(id, 'awaiting_plan_approval');
      await env.client.workflow
        .getHandle(id)
        .executeUpdate(approvePlanUpdate, { args: [{ approved: false, by: 'recorder' }] });
    },
    'last',
    'failed',
  );
}, 120_000);
