/**
 * A cancelled goal always removes its sandbox: cancelled in the middle of a
 * tool call, while it waits for a person, or after it lost a sandbox. Fake
 * activities, real dev server.
 */
import { CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { useFakeDrydock } from '../../support/fake-workers';
import type { FakeGoal } from '../../support/fake-goal';
import { shell, text, turn, writeFile } from '../../support/fake-model';

const drydock = useFakeDrydock();

/** Cancels the goal and checks that it ended cancelled. */
async function cancel(goal: FakeGoal): Promise<void> {
  await goal.handle.cancel();
  const failure = await goal.handle.result().catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
}

test('cancelled in the middle of a tool call: the call is cancelled and the sandbox removed', async () => {
  const goal = drydock.goal('cancel-tool', {
    model: [turn(writeFile('src/math.js')), turn(shell('npm test -- --watch', 'hangs'))],
  });
  await goal.start();
  await goal.called('runTool', 2);
  await cancel(goal);

  expect(goal.liveSandboxes()).toEqual([]);
  const status = await goal.status();
  expect(status.phase).toBe('done');
  expect(status.result?.status).toBe('cancelled');
  expect(goal.callsOf('collectChange')).toEqual([]);
  expect(goal.callsOf('publishChange')).toEqual([]);
});

test('cancelled while waiting for a plan approval: the sandbox is removed', async () => {
  const goal = drydock.goal('cancel-plan', { model: [text('1. Fix add')] });
  await goal.start({ policy: { requirePlanApproval: true } });
  await goal.statusWhen('the plan gate', (s) => s.waitingFor?.startsWith('plan approval') === true);
  await cancel(goal);

  expect(goal.liveSandboxes()).toEqual([]);
  expect(goal.callsOf('runTool')).toEqual([]);
});

test('cancelled after a sandbox was lost and replaced: both containers are removed', async () => {
  const goal = drydock.goal('cancel-after-loss', {
    model: [turn(shell('npm ci', 'losesSandbox')), turn(shell('npm test -- --watch', 'hangs'))],
  });
  await goal.start();
  // The lost call, the same call again on the new sandbox, then the hanging one.
  await goal.called('runTool', 3);
  await cancel(goal);

  expect(goal.inputsOf('provisionSandbox')).toHaveLength(2);
  expect(goal.inputsOf('destroySandbox')).toHaveLength(2);
  expect(goal.liveSandboxes()).toEqual([]);
});
