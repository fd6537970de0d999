/**
 * Honest accounting: cached prompt tokens at the cached-input price, reasoning
 * tokens as output exactly once, the built-in prices coming from the model
 * profiles, and the cost report's grouping and figures.
 */
import { BUILTIN_MODEL_PROFILES } from '../../workflows/model-catalog';
import { DEFAULT_PRICES, costOf, uncachedCostOf, validatePolicy } from '../../workflows/policy';
import type { Usage } from '../../workflows/types';
import { groupCosts, parseSince, renderCostTable, type GoalCost } from '../../cli/cost';
import { exactUsd, formatUsd, usageBreakdown } from '../../activities/shared/usage-text';
import { renderWatch } from '../../cli/watch';

// 100,000 prompt tokens of which 80,000 came from the endpoint's cache; 5,000 completion tokens of which 3,000 reasoned.
const USAGE: Usage = {
  promptTokens: 100_000,
  cachedPromptTokens: 80_000,
  completionTokens: 5_000,
  reasoningTokens: 3_000,
  totalTokens: 105_000,
};

test('cached prompt tokens cost the cached-input price: a hand-computed figure for gpt-5.4', () => {
  // gpt-5.4: $2.50 input, $0.25 cached input, $15 output per million tokens.
  //   20,000 uncached × $2.50 = $0.05;  80,000 cached × $0.25 = $0.02;  5,000 output × $15 = $0.075  → $0.145
  expect(costOf(USAGE, DEFAULT_PRICES['gpt-5.4'])).toBeCloseTo(0.145, 12);
  // Before: every prompt token at the input price ($0.25 + $0.075).
  expect(uncachedCostOf(USAGE, DEFAULT_PRICES['gpt-5.4'])).toBeCloseTo(0.325, 12);
});

test('reasoning tokens are part of the completion count: priced as output once, never added again', () => {
  const price = { inputPerMillionUsd: 0, outputPerMillionUsd: 10 };
  const withReasoning = costOf({ ...USAGE, cachedPromptTokens: undefined }, price);
  const without = costOf({ ...USAGE, cachedPromptTokens: undefined, reasoningTokens: undefined }, price);
  expect(withReasoning).toBeCloseTo(0.05, 12); // 5,000 × $10 / 1M, not 8,000 × $10
  expect(withReasoning).toBe(without);
});

test('a price without a cached rate charges cached tokens as input; more cached than prompt is capped', () => {
  const price = { inputPerMillionUsd: 2, outputPerMillionUsd: 8 };
  expect(costOf(USAGE, price)).toBeCloseTo(uncachedCostOf(USAGE, price)!, 12);
  expect(costOf({ ...USAGE, cachedPromptTokens: 200_000 }, DEFAULT_PRICES['gpt-5.4'])).toBeCloseTo(
    (100_000 * 0.25 + 5_000 * 15) / 1e6,
    12,
  );
});

test('the built-in prices are the built-in profiles; the older table is unchanged', () => {
  expect(Object.keys(DEFAULT_PRICES).sort()).toEqual(Object.keys(BUILTIN_MODEL_PROFILES).sort());
  expect(DEFAULT_PRICES['gpt-4o']).toEqual({
    inputPerMillionUsd: 2.5,
    cachedInputPerMillionUsd: 1.25,
    outputPerMillionUsd: 10,
    contextTokens: 128_000,
  });
  expect(DEFAULT_PRICES['gpt-4.1']).toMatchObject({ inputPerMillionUsd: 2, outputPerMillionUsd: 8 });
  expect(DEFAULT_PRICES['gpt-5.5']).toMatchObject({ inputPerMillionUsd: 5, cachedInputPerMillionUsd: 0.5 });
});

test('a goal price may carry a cached-input rate; a bad one is named', () => {
  const prices = { mine: { inputPerMillionUsd: 1, cachedInputPerMillionUsd: 0.1, outputPerMillionUsd: 2 } };
  expect(validatePolicy({ maxCostUsd: 5, prices }, 'mine')).toEqual([]);
  expect(
    validatePolicy({
      prices: { mine: { inputPerMillionUsd: 1, cachedInputPerMillionUsd: -1, outputPerMillionUsd: 2 } },
    }),
  ).toEqual(['policy.prices.mine.cachedInputPerMillionUsd must be a number >= 0']);
});

test('the PR body, the trailer and the report print the same figures', () => {
  expect(usageBreakdown(USAGE)).toBe(
    '105000 (prompt 100000, 80000 of them cached; completion 5000, 3000 of them reasoning)',
  );
  expect(formatUsd(0.145)).toBe('$0.145000');
  expect(formatUsd(undefined)).toBe('not priced');
  expect(exactUsd(0.1 + 0.2)).toBe('0.3');
  expect(exactUsd(0.000123456789)).toBe('0.000123456789');
});

const goal = (
  id: string,
  repository: string,
  model: string,
  day: string,
  costUsd: number,
  totalTokens: number,
): GoalCost => ({
  workflowId: id,
  repository,
  model,
  day,
  status: 'succeeded',
  promptTokens: totalTokens - 10,
  cachedPromptTokens: 5,
  completionTokens: 10,
  reasoningTokens: 2,
  totalTokens,
  costUsd,
  breakdown: true,
});

test('the report groups by repository, model or day and totals every column', () => {
  const goals = [
    goal('g1', '/srv/a', 'gpt-5.4', '2026-05-01', 0.1, 100),
    goal('g2', '/srv/a', 'gpt-4.1', '2026-05-02', 0.2, 200),
    goal('g3', '/srv/b', 'gpt-5.4', '2026-05-02', 0.4, 400),
  ];
  const byRepo = groupCosts(goals, 'repo');
  expect(byRepo.rows.map((r) => [r.key, r.goals, r.totalTokens])).toEqual([
    ['/srv/b', 1, 400],
    ['/srv/a', 2, 300],
  ]);
  expect(byRepo.rows[1]!.costUsd).toBeCloseTo(0.3, 12);
  expect(byRepo.total).toMatchObject({ goals: 3, totalTokens: 700, cachedPromptTokens: 15, reasoningTokens: 6 });
  expect(byRepo.total.costUsd).toBeCloseTo(0.7, 12);
  expect(groupCosts(goals, 'model').rows.map((r) => r.key)).toEqual(['gpt-5.4', 'gpt-4.1']);
  expect(groupCosts(goals, 'day').rows.map((r) => [r.key, r.goals])).toEqual([
    ['2026-05-01', 1],
    ['2026-05-02', 2],
  ]);
  const table = renderCostTable('repo', byRepo.rows, byRepo.total).split('\n');
  expect(table[0]).toMatch(/^repo\s+goals\s+prompt\s+cached\s+completion\s+reasoning\s+tokens\s+cost$/);
  expect(table.at(-1)).toMatch(/^total\s+3\s+670\s+15\s+30\s+6\s+700\s+\$0\.700000$/);
});

test('--since reads durations and dates, and says what it cannot read', () => {
  const now = Date.parse('2026-05-10T00:00:00Z');
  expect(parseSince('7d', now)?.toISOString()).toBe('2026-05-03T00:00:00.000Z');
  expect(parseSince('12h', now)?.toISOString()).toBe('2026-05-09T12:00:00.000Z');
  expect(parseSince('2026-05-01', now)?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
  expect(parseSince(undefined, now)).toBeUndefined();
  expect(() => parseSince('last week', now)).toThrow(/--since must be a duration such as 7d/);
});

test('drydock watch shows the same tokens and dollars, with the model', () => {
  const frame = renderWatch(
    {
      workflowId: 'goal-1',
      repository: '/srv/a',
      goal: 'Fix add',
      phase: 'working',
      iteration: 2,
      maxIterations: 30,
      usage: USAGE,
      costUsd: 0.145,
      model: 'gpt-5.4',
      limits: { maxIterations: 30, maxTotalTokens: 2_000_000, deadlineAt: Date.now() + 60_000 },
      checks: { state: 'not_run', results: [] },
    },
    Date.now(),
  );
  expect(frame).toContain('cost       $0.145000');
  expect(frame).toContain(
    'usage      105000 (prompt 100000, 80000 of them cached; completion 5000, 3000 of them reasoning)  model gpt-5.4',
  );
});
