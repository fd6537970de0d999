/**
 * Budgets are the workflow's, not the model's: turns, tokens, dollars and the
 * deadline stop a goal; what happens then (a verified draft, a stop, a wait for
 * a person) is policy. Fake activities, real dev server.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { extendBudgetUpdate, finishNowSignal } from '../../../workflows/messages';
import { useFakeDrydock } from '../../support/fake-workers';
import { costing, finish, shell, turn, writeFile } from '../../support/fake-model';

const drydock = useFakeDrydock();

/** A model that keeps working and never finishes. */
const busy = (turns: number) => Array.from({ length: turns }, (_, i) => turn(shell(`npm test -- --shard ${i}`)));

test('out of turns: the work so far is verified in a clean sandbox and published as a draft', async () => {
  const goal = drydock.goal('budget-turns', { model: busy(5), verify: ['fail'] });
  const result = await goal.run({ policy: { maxIterations: 3 } });

  expect(result.status).toBe('budget_exhausted');
  expect(result.reason).toBe('max iterations (3) reached');
  expect(result.iterations).toBe(3);
  expect(goal.callsOf('callModel')).toHaveLength(3);
  // The draft's checks ran in a clean sandbox (no finish call to reply to), and the PR says they fail.
  const verifications = goal.inputsOf('verifyChange');
  expect(verifications.map((v) => [v.step, v.reply])).toEqual([[3, undefined]]);
  const [draft] = goal.inputsOf('publishChange');
  expect(draft?.exhaustedReason).toBe('max iterations (3) reached');
  expect(draft?.finishIndex).toBeUndefined();
  expect(draft?.checks).toEqual([expect.objectContaining({ passed: false, cleanRoom: true })]);
  expect(result.pr?.location).toBe('fake://budget-turns/pull/1');
  expect(goal.liveSandboxes()).toEqual([]);
});

test('out of tokens with onExhausted=stop: no further model call, no draft', async () => {
  const goal = drydock.goal('budget-tokens', {
    model: busy(5).map((t) => costing({ promptTokens: 500, completionTokens: 100 }, t)),
  });
  const result = await goal.run({ policy: { maxTotalTokens: 1000, onExhausted: 'stop' } });

  expect(result.status).toBe('budget_exhausted');
  expect(result.reason).toBe('token budget (1000) used up');
  expect(result.usage).toEqual({ promptTokens: 1000, completionTokens: 200, totalTokens: 1200 });
  // Each call is told what is left.
  expect(goal.inputsOf('callModel').map((c) => c.budget.remainingTokens)).toEqual([1000, 400]);
  expect(goal.callsOf('verifyChange')).toEqual([]);
  expect(goal.callsOf('publishChange')).toEqual([]);
  expect(result.pr).toBeUndefined();
  expect(goal.liveSandboxes()).toEqual([]);
});

test('out of dollars: the cost is priced from the model, accounted and reported', async () => {
  // gpt-4o: $2.50 in, $10 out per million tokens → $0.005 + $0.005 a turn.
  const goal = drydock.goal('budget-cost', {
    model: busy(5).map((t) => costing({ promptTokens: 2000, completionTokens: 500 }, t)),
  });
  const result = await goal.run({ model: { name: 'gpt-4o' }, policy: { maxCostUsd: 0.015, onExhausted: 'stop' } });

  expect(result.status).toBe('budget_exhausted');
  expect(result.reason).toBe('cost budget ($0.015) used up');
  expect(result.iterations).toBe(2);
  expect(result.costUsd).toBeCloseTo(0.02, 10);
  const remaining = goal.inputsOf('callModel').map((c) => c.budget.remainingCostUsd ?? NaN);
  expect(remaining[0]).toBeCloseTo(0.015, 10);
  expect(remaining[1]).toBeCloseTo(0.005, 10);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('the deadline interrupts a hanging tool call; with onExhausted=ask a person extends it and the goal finishes', async () => {
  const goal = drydock.goal('budget-deadline', {
    model: [turn(shell('npm run build', 'hangs'), writeFile('src/math.js')), turn(finish('built and fixed'))],
  });
  await goal.start({ policy: { deadlineSeconds: 3, onExhausted: 'ask' } });

  const waiting = await goal.statusWhen('the goal to wait for budget', (s) => s.waitingFor !== undefined);
  expect(waiting.waitingFor).toMatch(
    /^budget: deadline reached \(.*\) \(send the extendBudget update or the finishNow signal\)$/,
  );
  // A bad extension is refused by the update's validator; the limits stay.
  const refused = await goal.handle
    .executeUpdate(extendBudgetUpdate, { args: [{ seconds: -5 }] })
    .catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/seconds must be a whole number above 0/);
  const limits = await goal.handle.executeUpdate(extendBudgetUpdate, { args: [{ seconds: 600 }] });
  expect(limits.deadlineAt).toBeGreaterThan(Date.now() + 500_000);
  const result = await goal.result();

  expect(result.status).toBe('succeeded');
  // The interrupted call and the one after it got an answer before the model's next turn (the fake endpoint refuses a prompt without).
  const interrupted = expect.stringMatching(/^Interrupted: the goal reached its deadline/);
  expect(goal.conversation.at(3)).toEqual({ role: 'tool', tool_call_id: 'call-0-0', content: interrupted });
  expect(goal.conversation.at(4)).toEqual({ role: 'tool', tool_call_id: 'call-0-1', content: interrupted });
  expect(goal.inputsOf('callModel')[1]?.length).toBe(5);
  expect(goal.callsOf('runTool')).toHaveLength(1);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('finishNow while the goal waits for budget publishes a verified draft', async () => {
  const goal = drydock.goal('budget-finish-now', { model: busy(1) });
  await goal.start({ policy: { maxIterations: 1, onExhausted: 'ask' } });

  await goal.statusWhen(
    'the goal to wait for budget',
    (s) => s.waitingFor?.startsWith('budget: max iterations (1) reached') === true,
  );
  await goal.handle.signal(finishNowSignal);
  const result = await goal.result();

  expect(result.status).toBe('budget_exhausted');
  expect(result.pr).toBeDefined();
  expect(goal.inputsOf('publishChange')[0]?.exhaustedReason).toBe('max iterations (1) reached');
  expect(goal.callsOf('verifyChange')).toHaveLength(1);
  expect(goal.callsOf('callModel')).toHaveLength(1);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('a model stuck repeating the same failing call is stopped', async () => {
  const same = () => turn(shell('npm tset', 'fails'));
  const goal = drydock.goal('budget-loop', { model: [same(), same(), same(), same()] });
  const result = await goal.run();

  expect(result.status).toBe('failed');
  expect(result.reason).toBe('loop detected: the same failing call 3 times in a row (shell {"command":"npm tset"})');
  expect(goal.callsOf('callModel')).toHaveLength(3);
  expect(goal.liveSandboxes()).toEqual([]);
});
