/**
 * The workflow's accounting: cached prompt tokens are priced at the model's
 * cached-input rate, reasoning tokens once as output, and the result, the
 * status and the DrydockCostUsd search attribute carry the same dollars.
 * Fake activities, real dev server.
 */
import { useFakeDrydock } from '../../support/fake-workers';
import { costing, finish, shell, turn } from '../../support/fake-model';

const drydock = useFakeDrydock();

test('cached prompt tokens cost the cached-input price: two gpt-5.4 turns against a hand-computed figure', async () => {
  // Each turn: 100,000 prompt tokens (80,000 cached) and 5,000 completion tokens (3,000 of them reasoning).
  // gpt-5.4 ($2.50 / $0.25 cached / $15): 20,000 × 2.5 + 80,000 × 0.25 + 5,000 × 15 = $0.145 a turn → $0.29.
  const usage = { promptTokens: 100_000, cachedPromptTokens: 80_000, completionTokens: 5_000, reasoningTokens: 3_000 };
  const goal = drydock.goal('accounting-cached', {
    model: [costing(usage, turn(shell('npm test'))), costing(usage, turn(finish('done')))],
  });
  const result = await goal.run({ model: { name: 'gpt-5.4' } });

  expect(result.status).toBe('succeeded');
  expect(result.usage).toEqual({
    promptTokens: 200_000,
    cachedPromptTokens: 160_000,
    completionTokens: 10_000,
    reasoningTokens: 6_000,
    totalTokens: 210_000,
  });
  expect(result.costUsd).toBeCloseTo(0.29, 10);
  const described = await goal.handle.describe();
  const cost = described.typedSearchAttributes.getAll().find((p) => p.key.name === 'DrydockCostUsd')?.value;
  expect(cost).toBeCloseTo(0.29, 10);
  // Every prompt token at the input price would have been $0.65.
  const [published] = goal.inputsOf('publishChange');
  expect(published?.costUsd).toBeCloseTo(0.29, 10);
});
