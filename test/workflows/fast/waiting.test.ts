/**
 * Waiting for a person is a state: the phase and the status say what the goal
 * waits for, since and until when, and the commands that answer; the deadline
 * does not run meanwhile; finish-now is refused unless the goal waits for
 * budget, and one sent earlier never ends a later wait; a dollar extension is
 * refused on an unpriced goal. Fake activities, real dev server.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approvePlanUpdate, extendBudgetUpdate, finishNowSignal, finishNowUpdate } from '../../../workflows/messages';
import { useFakeDrydock } from '../../support/fake-workers';
import { finish, shell, text, turn, writeFile } from '../../support/fake-model';

const drydock = useFakeDrydock();

const PLAN = '1. Fix add in src/math.js\n2. Run npm test';

/** The message of a refused update. */
async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause?.message ?? '';
}

test('a plan approval that comes after longer than the deadline: the wait did not count, the goal goes on and succeeds', async () => {
  const goal = drydock.goal('wait-deadline-paused', {
    model: [text(PLAN), turn(writeFile('src/math.js', 'a + b')), turn(finish('fixed'))],
  });
  await goal.start({ policy: { requirePlanApproval: true, deadlineSeconds: 2 } });
  const waiting = await goal.statusWhen('the plan gate', (s) => s.phase === 'awaiting_plan_approval');
  const deadlineBefore = waiting.limits.deadlineAt;
  // The person answers well after the 2 s deadline.
  await new Promise((r) => setTimeout(r, 4000));
  await goal.handle.executeUpdate(approvePlanUpdate, { args: [{ approved: true, by: 'dana' }] });
  const result = await goal.result();

  expect(result.status).toBe('succeeded');
  expect(result.iterations).toBe(3);
  const after = await goal.status();
  // The deadline moved by the wait's length (at least the 4 s the test waited).
  expect(after.limits.deadlineAt - deadlineBefore).toBeGreaterThanOrEqual(4000);
});

test('a goal waiting for budget says why, since when, and which commands answer; finish-now is refused while it works, and one sent then does not end the later wait', async () => {
  const goal = drydock.goal('wait-budget', {
    model: [text(PLAN), turn(shell('npm test -- --shard 1'))],
  });
  await goal.start({ policy: { requirePlanApproval: true, maxIterations: 2, onExhausted: 'ask' } });
  await goal.statusWhen('the plan gate', (s) => s.phase === 'awaiting_plan_approval');

  // Not waiting for budget: the update is refused with the goal's state; the old signal is ignored.
  expect(await refusal(goal.handle.executeUpdate(finishNowUpdate))).toMatch(
    /^the goal is not waiting for budget, so there is nothing to finish now \(it waits for plan approval: 1\. Fix add/,
  );
  await goal.handle.signal(finishNowSignal);
  await goal.handle.executeUpdate(approvePlanUpdate, { args: [{ approved: true }] });

  const waiting = await goal.statusWhen('the budget wait', (s) => s.phase === 'awaiting_budget');
  expect(waiting.waiting).toEqual({
    kind: 'budget',
    since: expect.any(Number),
    until: 0,
    reason: 'max iterations (2) reached',
    answers: ['drydock extend wait-budget --iterations <n>', 'drydock finish-now wait-budget'],
  });
  expect(waiting.waitingFor).toMatch(/^budget: max iterations \(2\) reached/);
  // The finish-now sent while it was planning did not end this wait.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await goal.status()).phase).toBe('awaiting_budget');
  expect(goal.callsOf('verifyChange')).toEqual([]);

  // A dollar extension cannot be kept on a goal whose model has no price.
  expect(await refusal(goal.handle.executeUpdate(extendBudgetUpdate, { args: [{ costUsd: 1 }] }))).toMatch(
    /^the goal's model has no price, so a dollar budget cannot be kept; extend by tokens, iterations or seconds/,
  );
  expect(await goal.handle.executeUpdate(finishNowUpdate)).toBe(
    'finishing now: the goal stops working and publishes what it has as a draft PR',
  );
  const result = await goal.result();
  expect(result.status).toBe('budget_exhausted');
  expect(result.pr).toBeDefined();
  expect(goal.callsOf('callModel')).toHaveLength(2);
});

test('the call running now is in the status, with what it runs and since when', async () => {
  const goal = drydock.goal('wait-current-call', { model: [turn(shell('npm run build', 'hangs'))] });
  await goal.start();
  const running = await goal.statusWhen('the hanging tool call', (s) => s.currentCall?.kind === 'tool');
  expect(running.currentCall).toEqual({ kind: 'tool', summary: 'shell npm run build', startedAt: expect.any(Number) });
  expect(running.currentCall!.startedAt).toBeLessThanOrEqual(Date.now());
  expect(running.phase).toBe('working');
  await goal.handle.cancel();
  await goal.result().catch(() => undefined);
});

test('a draft waiting for publish approval says it is a draft and why; the change waits with its size, not a store key', async () => {
  const goal = drydock.goal('wait-draft', { model: [turn(shell('npm test'))] });
  await goal.start({ policy: { maxIterations: 1, requirePublishApproval: true } });
  const waiting = await goal.statusWhen('the publish gate', (s) => s.phase === 'awaiting_publish_approval');
  expect(waiting.waiting).toMatchObject({
    kind: 'publish_approval',
    reason: 'a draft: the budget ran out (max iterations (1) reached)',
    diffStat: { files: 1, insertions: 3, deletions: 1 },
  });
  expect(JSON.stringify(waiting)).not.toContain('change.patch');
  await goal.handle.cancel();
  await goal.result().catch(() => undefined);
});
