/**
 * runTool as the sandbox worker registers it, in MockActivityEnvironment over
 * an in-memory store and a scripted sandbox: the result goes to the
 * conversation and only a summary to history; a wrong call is data for the
 * model; a lost container becomes SandboxLost, which the workflow re-provisions on.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createSandboxActivities } from '../../../activities/host';
import { environmentRecordKey } from '../../../activities/host/goal-environment';
import { messageKey, writeMessage } from '../../../activities/store/conversation';
import type { SandboxRef } from '../../../workflows/types';
import { InMemoryArtifactStore, mockActivityEnvironment, runActivity, ScriptedSandbox } from '../../support/fake-ports';

const GOAL = 'goal-run-tool';

async function setUp(
  answer: ConstructorParameters<typeof ScriptedSandbox>[0],
  call: { name: string; arguments: unknown },
  environmentFile: string | null = null,
) {
  const store = new InMemoryArtifactStore();
  // What copyRepository records from the base commit.
  await store.put(environmentRecordKey(GOAL), JSON.stringify({ text: environmentFile }));
  const sandbox = new ScriptedSandbox(answer);
  const { id } = await sandbox.create({ name: 'drydock-goal-run-tool', image: 'drydock-sandbox' });
  const ref: SandboxRef = {
    containerId: id,
    containerName: 'drydock-goal-run-tool',
    taskQueue: 'drydock-sandbox-testhost',
    host: 'testhost',
  };
  await writeMessage(store, GOAL, 2, {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call-1', type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } },
    ],
  });
  const activities = createSandboxActivities({ sandbox, store, host: 'testhost', image: 'drydock-sandbox' });
  const env = mockActivityEnvironment();
  const runTool = () =>
    runActivity(env, activities.runTool, {
      sandbox: ref,
      goalId: GOAL,
      assistantIndex: 2,
      callId: 'call-1',
      resultIndex: 3,
      commandTimeoutSeconds: 30,
      maxOutputBytes: 16 * 1024,
    });
  return { store, sandbox, ref, env, runTool };
}

test('a tool call runs in its container; the whole result goes to the conversation, a one-line summary to the workflow', async () => {
  const output = Array.from({ length: 200 }, (_, i) => `ok ${i + 1} adds numbers`).join('\n');
  const { store, sandbox, runTool } = await setUp(() => ({ stdout: output }), {
    name: 'shell',
    arguments: { command: 'npm test' },
  });
  const summary = await runTool();

  expect(summary).toEqual(
    expect.objectContaining({ ok: true, exitCode: 0, isMutating: true, summary: '$ npm test → exit 0' }),
  );
  expect(summary.checkpointRef).toBeUndefined();
  expect(sandbox.execs.map((e) => e.argv.at(-1))).toEqual(['npm test']);
  const message = store.json(messageKey(GOAL, 3)) as { role: string; tool_call_id: string; content: string };
  expect(message.role).toBe('tool');
  expect(message.tool_call_id).toBe('call-1');
  expect(message.content).toContain('ok 200 adds numbers');
  expect(JSON.stringify(summary).length).toBeLessThan(400);
});

test("the environment file's env is exported before the model's shell command, after the login profile", async () => {
  const { sandbox, runTool } = await setUp(
    () => ({ stdout: 'ok' }),
    { name: 'shell', arguments: { command: 'pytest -q' } },
    JSON.stringify({ env: { PATH: '/workspace/.venv/bin:$PATH', MODE: "it's" } }),
  );
  await runTool();
  expect(sandbox.execs.map((e) => e.argv.at(-1))).toEqual([
    `export PATH='/workspace/.venv/bin:'"\${PATH}"; export MODE='it'\\''s'; pytest -q`,
  ]);
  // Passed as a word of bash -lc (after the profile), not as the process environment the profile resets.
  expect(sandbox.execs[0]?.options?.env).toBeUndefined();
});

test('a long command heartbeats while it runs, so a dead sandbox worker is noticed within the heartbeat timeout', async () => {
  const slow = async () => {
    await new Promise((r) => setTimeout(r, 1300));
    return { stdout: 'built' };
  };
  const { env, runTool } = await setUp(slow, { name: 'shell', arguments: { command: 'npm run build' } });
  let heartbeats = 0;
  env.on('heartbeat', () => heartbeats++);
  await runTool();

  expect(heartbeats).toBeGreaterThanOrEqual(1);
});

test('a call the model got wrong is a result for the model, not a failure, and runs nothing', async () => {
  const { store, sandbox, runTool } = await setUp(() => ({}), {
    name: 'shell',
    arguments: { command: 'ls', cwd: '../../etc' },
  });
  const summary = await runTool();

  expect(summary).toEqual(expect.objectContaining({ ok: false, invalid: true, isMutating: false }));
  expect(sandbox.execs).toEqual([]);
  expect((store.json(messageKey(GOAL, 3)) as { content: string }).content).toMatch(
    /invalid arguments for shell: .*cwd.*inside the workspace/,
  );
});

test('a container that is gone becomes a non-retryable SandboxLost failure, and no result is written', async () => {
  const { store, sandbox, ref, runTool } = await setUp(() => ({}), {
    name: 'shell',
    arguments: { command: 'npm test' },
  });
  sandbox.lose(ref.containerId);
  const failure = await runTool().catch((err: unknown) => err);

  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe('SandboxLost');
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  expect((failure as ApplicationFailure).message).toBe(`sandbox not found: ${ref.containerId}`);
  expect(await store.has(messageKey(GOAL, 3))).toBe(false);
});

test('a tool call missing from the conversation is a hopeless failure, not a retry loop', async () => {
  const { store, runTool } = await setUp(() => ({}), { name: 'shell', arguments: { command: 'npm test' } });
  await writeMessage(store, GOAL, 2, { role: 'assistant', content: 'no calls here' });
  const failure = await runTool().catch((err: unknown) => err);

  expect((failure as ApplicationFailure).type).toBe('ToolCallNotFound');
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
});
