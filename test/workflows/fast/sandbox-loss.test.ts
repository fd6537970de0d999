/**
 * A lost sandbox is replaced: the goal provisions another (on whichever host
 * takes it), copies the repository at the same base commit, runs setup again,
 * restores the last checkpoint and runs the interrupted call again; lost
 * containers are removed where their host still answers. Fake activities,
 * real dev server.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { sandboxHostQueue } from '../../../workflows/queues';
import { useFakeDrydock } from '../../support/fake-workers';
import { BASE_COMMIT } from '../../support/fake-goal';
import { finish, shell, turn, writeFile } from '../../support/fake-model';
import { GHOST_HOST } from '../../support/fake-sandbox-activities';

const drydock = useFakeDrydock();

test('a container lost under a tool call is replaced on another host, restored, and the call runs again', async () => {
  const goal = drydock.goal('loss-once', {
    model: [turn(writeFile('src/math.js', 'a + b')), turn(shell('npm test', 'losesSandbox')), turn(finish('fixed'))],
  });
  const result = await goal.run({ setup: { script: 'npm ci' } });

  expect(result.status).toBe('succeeded');
  const [first, second] = goal.inputsOf('provisionSandbox');
  expect(first?.generation ?? 0).toBe(0);
  expect(second?.generation).toBe(1);
  // The new sandbox is prepared like the first: the same base commit, setup again (and the network cut), the last checkpoint.
  const copies = goal.inputsOf('copyRepository');
  expect(copies.map((c) => c.sandbox.host)).toEqual(['alpha', 'beta']);
  expect(copies[1]?.baseCommit).toBe(BASE_COMMIT);
  expect(goal.inputsOf('runSetup').map((s) => [s.sandbox.host, s.setup?.script])).toEqual([
    ['alpha', 'npm ci'],
    ['beta', 'npm ci'],
  ]);
  expect(goal.inputsOf('isolateSandbox').map((s) => s.sandbox.host)).toEqual(['alpha', 'beta']);
  expect(goal.inputsOf('restoreWorkspace')).toEqual([
    expect.objectContaining({ baseCommit: BASE_COMMIT, checkpointRef: 'goals/loss-once/checkpoints/3.patch' }),
  ]);
  // The interrupted call ran again, on the new host's queue, answering the same message.
  const shellRuns = goal.callsOf('runTool').filter((c) => (c.input as { callId: string }).callId === 'call-1-0');
  expect(shellRuns.map((c) => c.queue)).toEqual([sandboxHostQueue('alpha'), sandboxHostQueue('beta')]);
  expect(new Set(shellRuns.map((c) => (c.input as { resultIndex: number }).resultIndex)).size).toBe(1);
  expect(goal.inputsOf('collectChange').map((c) => c.sandbox.host)).toEqual(['beta']);
  // Setup ran, so each sandbox's workspace after setup is recorded; checkpoints and the change are against the last one.
  expect(goal.inputsOf('recordBaseline').map((b) => [b.sandbox.host, b.baseCommit])).toEqual([
    ['alpha', BASE_COMMIT],
    ['beta', BASE_COMMIT],
  ]);
  expect(goal.inputsOf('runTool').every((t) => t.checkpoint?.baseline === true)).toBe(true);
  expect(goal.inputsOf('collectChange')[0]?.baselineRef).toBe('goals/loss-once/baseline/fake-loss-once-g1.json.gz');
  expect((await goal.status()).sandboxHost).toBe('beta');
  // Both containers are removed: the lost one and the one that finished.
  expect(
    goal
      .inputsOf('destroySandbox')
      .map((d) => d.sandbox.host)
      .sort(),
  ).toEqual(['alpha', 'beta']);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('a host whose sandbox worker is gone counts as lost after the loss timeout; the goal goes on elsewhere', async () => {
  const goal = drydock.goal('loss-ghost', {
    model: [turn(writeFile('src/math.js', 'a + b'), finish('fixed'))],
    hosts: [GHOST_HOST, 'alpha'],
  });
  const result = await goal.run({ policy: { sandboxLossTimeoutSeconds: 2 } });

  expect(result.status).toBe('succeeded');
  expect(goal.inputsOf('provisionSandbox')).toHaveLength(2);
  // Nothing ever ran on the ghost host; everything ran on alpha.
  expect(goal.callsOf('copyRepository').map((c) => c.queue)).toEqual([sandboxHostQueue('alpha')]);
  // No setup phase: no baseline, the change and checkpoints are against the base commit as before.
  expect(goal.inputsOf('recordBaseline')).toEqual([]);
  expect(goal.inputsOf('runTool').map((t) => t.checkpoint)).toEqual([{ baseCommit: BASE_COMMIT }]);
  expect(goal.inputsOf('collectChange')[0]?.baselineRef).toBeUndefined();
  expect(goal.callsOf('runTool').map((c) => c.queue)).toEqual([sandboxHostQueue('alpha')]);
  // The ghost's container cannot be removed now (its host's reaper does it when it is back); alpha's is gone.
  expect(goal.liveSandboxes()).toEqual(['fake-loss-ghost-g0']);
});

test('a goal that keeps losing its sandbox fails after five replacements, and every container is removed', async () => {
  const goal = drydock.goal('loss-always', { model: [turn(shell('node leak.js', 'killsEverySandbox'))] });
  const failure = await (await goal.start()).result().catch((err: unknown) => err);

  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('SandboxLost');
  expect(cause.message).toMatch(/^lost 6 sandboxes; the last: sandbox not found: id-fake-loss-always-g5$/);
  expect(goal.inputsOf('provisionSandbox')).toHaveLength(6);
  expect(goal.callsOf('callModel')).toHaveLength(1);
  expect(goal.liveSandboxes()).toEqual([]);
});
