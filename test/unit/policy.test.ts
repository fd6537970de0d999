/** Policy: defaults in one place, and a clear message for every bad value. */
import {
  compilePolicy,
  costOf,
  DEFAULT_POLICY,
  validateBudgetExtension,
  validateGoalInput,
  validatePolicy,
} from '../../workflows/policy';

const ok = { repository: '/repo', goal: 'fix it' };

test('defaults fill what a goal does not set', () => {
  const p = compilePolicy({ maxIterations: 5 });
  expect(p.maxIterations).toBe(5);
  expect(p.maxTotalTokens).toBe(DEFAULT_POLICY.maxTotalTokens);
  expect(p.maxCostUsd).toBeUndefined();
  expect(p.prices['gpt-4.1']).toBeDefined();
});

test.each([
  [{ maxIterations: -1 }, /maxIterations must be between 1 and 1000, got -1/],
  [{ maxIterations: 0 }, /maxIterations must be between 1 and 1000, got 0/],
  [{ maxTotalTokens: Number.NaN }, /maxTotalTokens must be a number, got null/],
  [{ maxIterations: 2.5 }, /maxIterations must be a whole number/],
  [{ deadlineSeconds: '60' }, /deadlineSeconds must be a number, got "60"/],
  [{ maxCostUsd: -1 }, /maxCostUsd must be between/],
  [{ onExhausted: 'panic' }, /onExhausted must be one of publish, ask, stop/],
  [{ requirePublishApproval: 'yes' }, /requirePublishApproval must be true or false/],
  [{ bogus: 1 }, /policy.bogus is not a known limit/],
  [
    { prices: { m: { inputPerMillionUsd: -1, outputPerMillionUsd: 1 } } },
    /prices.m.inputPerMillionUsd must be a number >= 0/,
  ],
])('%j is refused', (policy, message) => {
  expect(validateGoalInput({ ...ok, policy }).join('; ')).toMatch(message);
});

test('a cost limit needs a model with a price', () => {
  expect(validatePolicy({ maxCostUsd: 5 })).toEqual([expect.stringMatching(/needs the goal to name its model/)]);
  expect(validatePolicy({ maxCostUsd: 5 }, 'my-vllm-model')[0]).toMatch(
    /no price for model "my-vllm-model"; add one with policy.prices/,
  );
  expect(validatePolicy({ maxCostUsd: 5 }, 'gpt-4.1')).toEqual([]);
  expect(
    validatePolicy({ maxCostUsd: 5, prices: { mine: { inputPerMillionUsd: 1, outputPerMillionUsd: 2 } } }, 'mine'),
  ).toEqual([]);
});

test('cost is priced per million tokens', () => {
  expect(
    costOf(
      { promptTokens: 1_000_000, completionTokens: 500_000, totalTokens: 1_500_000 },
      { inputPerMillionUsd: 2, outputPerMillionUsd: 8 },
    ),
  ).toBe(6);
  expect(costOf({ promptTokens: 1, completionTokens: 1, totalTokens: 2 }, undefined)).toBeUndefined();
});

test.each([
  [{}, /say how much to extend by/],
  [{ tokens: 0 }, /tokens must be a whole number above 0/],
  [{ costUsd: Number.POSITIVE_INFINITY }, /costUsd must be a number above 0/],
  [{ minutes: 5 }, /minutes is not something a budget can be extended by/],
])('the budget extension %j is refused', (e, message) => {
  expect(validateBudgetExtension(e).join('; ')).toMatch(message);
});

test('goal input: repository, branch and goal', () => {
  expect(validateGoalInput(ok)).toEqual([]);
  expect(validateGoalInput({ ...ok, repository: 'relative/path' })[0]).toMatch(/must be an absolute path or a git URL/);
  expect(validateGoalInput({ ...ok, repository: 'ext::sh -c evil' })[0]).toMatch(/ext:: transport is not allowed/);
  expect(validateGoalInput({ ...ok, repository: 'https://example.invalid/x.git' })).toEqual([]);
  expect(validateGoalInput({ ...ok, baseBranch: 'a..b' })[0]).toMatch(/not a valid branch name/);
  expect(validateGoalInput({ ...ok, goal: 'x'.repeat(100_000) })[0]).toMatch(/100000 characters; the limit is 20000/);
  expect(validateGoalInput(null)[0]).toMatch(/must be a JSON object/);
});
