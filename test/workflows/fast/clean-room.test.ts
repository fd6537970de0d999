/**
 * The finish of a goal: a finish call is verified in a clean sandbox; failing
 * checks go back to the model as the reply to its finish call, passing ones
 * publish exactly the verified change. Fake activities, real dev server.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { useFakeDrydock } from '../../support/fake-workers';
import { finish, shell, turn, writeFile } from '../../support/fake-model';
import { SANDBOX_QUEUE } from '../../../workflows/queues';

const drydock = useFakeDrydock();

test('a passing clean-room verification publishes the verified change, and the sandbox is removed', async () => {
  const goal = drydock.goal('clean-pass', {
    model: [turn(writeFile('src/math.js', 'a + b')), turn(shell('npm test'), finish('fixed add'))],
  });
  const result = await goal.run();

  expect(result.status).toBe('succeeded');
  expect(result.summary).toBe('fixed add');
  expect(result.pr?.location).toBe('fake://clean-pass/pull/1');
  expect(result.iterations).toBe(2);
  expect(result.usage.totalTokens).toBe(240);
  // The checks that decide ran in the clean sandbox, on the shared queue, and reached the PR.
  const [verify] = goal.callsOf('verifyChange');
  expect(verify?.queue).toBe(SANDBOX_QUEUE);
  const [collected] = goal.inputsOf('collectChange');
  const [published] = goal.inputsOf('publishChange');
  expect(published?.checks).toEqual([expect.objectContaining({ command: 'npm test', passed: true, cleanRoom: true })]);
  expect(published?.tree).toBe(goal.inputsOf('verifyChange')[0]?.tree);
  expect(published?.baseCommit).toBe(collected?.baseCommit);
  expect(published?.finishIndex).toBe(4);
  // The other calls of the finishing turn ran before the finish was verified.
  expect(
    goal.calls
      .map((c) => c.activity)
      .filter((a) => ['runTool', 'collectChange', 'verifyChange', 'publishChange'].includes(a)),
  ).toEqual(['runTool', 'runTool', 'collectChange', 'verifyChange', 'publishChange']);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('a failing clean-room verification goes back to the model, which tries again', async () => {
  const goal = drydock.goal('clean-fail', {
    model: [
      turn(writeFile('src/math.js', 'a - b'), finish('done')),
      turn(writeFile('src/math.js', 'a + b'), finish('really done')),
    ],
    verify: ['fail', 'pass'],
  });
  const result = await goal.run();

  expect(result.status).toBe('succeeded');
  expect(result.summary).toBe('really done');
  expect(result.checks.every((c) => c.passed && c.cleanRoom)).toBe(true);
  const verifications = goal.inputsOf('verifyChange');
  expect(verifications).toHaveLength(2);
  // The failing checks were the reply to the first finish call, and the model saw them before its second turn.
  expect(verifications[0]?.reply).toEqual({ callId: 'call-0-1', index: 4 });
  expect(goal.conversation.at(4)).toEqual({
    role: 'tool',
    tool_call_id: 'call-0-1',
    content: expect.stringContaining('expected 3, got -1'),
  });
  expect(goal.inputsOf('callModel')[1]?.length).toBe(5);
  expect(goal.inputsOf('publishChange')).toHaveLength(1);
  expect(goal.inputsOf('publishChange')[0]?.finishIndex).toBe(5);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('the publish gate refuses a change before any clean sandbox or PR', async () => {
  const goal = drydock.goal('clean-gate', {
    model: [turn(writeFile('.github/workflows/ci.yml'), finish('changed CI'))],
    change: [{ path: '.github/workflows/ci.yml', status: 'M', additions: 1, deletions: 0 }],
    gate: { allowed: false, reasons: ['.github/workflows/ci.yml is a protected path'] },
  });
  const result = await goal.run();

  expect(result.status).toBe('failed');
  expect(result.reason).toBe('publish gate: .github/workflows/ci.yml is a protected path');
  expect(goal.callsOf('verifyChange')).toEqual([]);
  expect(goal.callsOf('publishChange')).toEqual([]);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('a verified finish with no change fails the goal without a PR', async () => {
  const goal = drydock.goal('clean-empty', { model: [turn(finish('nothing to do'))], change: [] });
  const result = await goal.run();

  expect(result.status).toBe('failed');
  expect(result.reason).toBe('the checks pass but the workspace has no change to publish');
  expect(goal.callsOf('publishChange')).toEqual([]);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('a hopeless failure while making the change fails the goal with its own type and message', async () => {
  const goal = drydock.goal('clean-too-large', {
    model: [turn(writeFile('big.bin'), finish('done'))],
    fail: {
      collectChange: () => ApplicationFailure.nonRetryable('the change is 70 MB; the limit is 64 MB', 'ChangeTooLarge'),
    },
  });
  const failure = await (await goal.start()).result().catch((err: unknown) => err);

  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('ChangeTooLarge');
  expect(cause?.message).toBe('the change is 70 MB; the limit is 64 MB');
  expect(goal.callsOf('collectChange')).toHaveLength(1);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('a goal with no checks to verify with ends before the model is called', async () => {
  const goal = drydock.goal('clean-no-checks', { model: [], checks: [] });
  const result = await goal.run();

  expect(result.status).toBe('failed');
  expect(result.reason).toMatch(/no checks were given and none were found/);
  expect(goal.callsOf('callModel')).toEqual([]);
  expect(goal.liveSandboxes()).toEqual([]);
});
