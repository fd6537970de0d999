/**
 * The prompt estimate is calibrated from what the endpoint reports: the worst
 * real / estimated ratio per model, applied to the next estimate, kept in the
 * ArtifactStore across a worker restart. With JSON-dense tool output (more
 * tokens per character than the 3 the plain estimate assumes), a call that
 * would overrun the token budget is refused before it is made; without
 * calibration the same call is made and overruns.
 */
import { createModelActivities, type CallBudget } from '../../../activities/agent/model-activities';
import { estimatePromptTokens } from '../../../activities/model/context';
import { CALIBRATION_KEY, PromptCalibration } from '../../../activities/model/prompt-calibration';
import type {
  ChatMessage,
  CompleteOptions,
  Completion,
  ModelClient,
  ToolDefinition,
} from '../../../activities/model/model-client';
import { writeMessage } from '../../../activities/store/conversation';
import { InMemoryArtifactStore, mockActivityEnvironment, runActivity } from '../../support/fake-ports';

const GOAL = 'goal-calibration';
const BUDGET: CallBudget = {
  remainingTokens: 1_000_000,
  maxPromptTokens: 500_000,
  observationWindow: 0,
  timeoutSeconds: 60,
};

/** An endpoint that counts JSON the way o200k does: about 2.55 characters a token (the plain estimate assumes 3). */
class JsonDenseEndpoint implements ModelClient {
  readonly prompts: number[] = [];
  async complete(messages: ChatMessage[], tools: ToolDefinition[], _options: CompleteOptions): Promise<Completion> {
    const promptTokens = Math.ceil((estimatePromptTokens(messages, tools) * 3) / 2.55);
    this.prompts.push(promptTokens);
    return {
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: `c${this.prompts.length}`, type: 'function', function: { name: 'list_files', arguments: '{}' } },
        ],
      },
      finishReason: 'tool_calls',
      usage: { promptTokens, completionTokens: 300, totalTokens: promptTokens + 300 },
    };
  }
}

/** JSON-dense tool output: a package-lock-like listing. */
function jsonOutput(entries: number): string {
  const packages = Object.fromEntries(
    Array.from({ length: entries }, (_, i) => [
      `node_modules/pkg-${i}`,
      { version: `1.${i}.0`, resolved: `https://r.example/pkg-${i}/-/pkg-${i}-1.${i}.0.tgz`, integrity: `sha512-${i}` },
    ]),
  );
  return JSON.stringify({ lockfileVersion: 3, packages });
}

/** A conversation with one JSON-dense tool result; returns the activities, the store and the call. */
async function setUp(calibration: PromptCalibration | undefined, store = new InMemoryArtifactStore()) {
  const endpoint = new JsonDenseEndpoint();
  const activities = createModelActivities({
    store,
    modelClientFor: () => endpoint,
    defaultModel: 'gpt-5.4',
    calibration,
  });
  const env = mockActivityEnvironment();
  let length = await runActivity(env, activities.openConversation, {
    goalId: GOAL,
    goal: 'Upgrade the dependencies',
    repository: '/srv/git/demo',
    baseBranch: 'main',
    checks: ['npm test'],
  });
  const call = {
    id: 'c0',
    type: 'function' as const,
    function: { name: 'read_file', arguments: '{"path":"package-lock.json"}' },
  };
  await writeMessage(store, GOAL, length++, { role: 'assistant', content: null, tool_calls: [call] });
  await writeMessage(store, GOAL, length++, { role: 'tool', tool_call_id: 'c0', content: jsonOutput(400) });
  const callModel = (budget: CallBudget) =>
    runActivity(env, activities.callModel, { goalId: GOAL, step: 0, length, budget });
  return { store, endpoint, callModel };
}

test('the worst real/estimated ratio is kept per model, applied, and survives a restart', async () => {
  const store = new InMemoryArtifactStore();
  const calibration = new PromptCalibration(store);
  expect(await calibration.factorFor('gpt-5.4')).toBe(1);
  expect(await calibration.observe('gpt-5.4', 1000, 1170)).toBeCloseTo(1.17, 10);
  // A better ratio later does not lower the worst one; another model keeps its own.
  expect(await calibration.observe('gpt-5.4', 1000, 900)).toBeCloseTo(1.17, 10);
  expect(await calibration.observe('local', 1000, 800)).toBeCloseTo(0.8, 10);
  // An endpoint that reports nothing (0 prompt tokens) teaches nothing; nonsense is clamped.
  expect(await calibration.observe('gpt-5.4', 1000, 0)).toBeCloseTo(1.17, 10);
  expect(await calibration.observe('wild', 10, 1_000_000)).toBe(4);

  const restarted = new PromptCalibration(store);
  expect(await restarted.factorFor('gpt-5.4')).toBeCloseTo(1.17, 10);
  expect(await restarted.factorFor('local')).toBeCloseTo(0.8, 10);
  expect(JSON.parse(store.blobs.get(CALIBRATION_KEY)!.toString('utf8'))).toMatchObject({ version: 1 });
});

test('with JSON-dense tool output, calibration refuses a call that would overrun the token budget', async () => {
  // Without calibration: learn what the plain estimate says this prompt is, and what the endpoint counts.
  const plain = await setUp(undefined);
  const probe = await plain.callModel(BUDGET);
  const estimate = probe.estimatedPromptTokens;
  const real = probe.usage.promptTokens;
  console.log(
    `JSON-dense prompt: plain estimate ${estimate} tokens, the endpoint counted ${real} (x${(real / estimate).toFixed(3)})`,
  );
  expect(real / estimate).toBeGreaterThan(1.1);

  // A budget the plain estimate says covers the call (prompt + 256 completion tokens and a little), the real count does not.
  const tight: CallBudget = { ...BUDGET, remainingTokens: estimate + 256 + 200 };
  expect(real + 256).toBeGreaterThan(tight.remainingTokens);

  const uncalibrated = await setUp(undefined);
  const overran = await uncalibrated.callModel(tight);
  expect(overran.refused).toBeUndefined();
  expect(overran.usage.totalTokens).toBeGreaterThan(tight.remainingTokens);

  // Calibrated: one earlier call on this endpoint taught the ratio; the same call is refused before it is made.
  const calibrated = await setUp(new PromptCalibration(new InMemoryArtifactStore()));
  await calibrated.callModel(BUDGET);
  const refused = await calibrated.callModel(tight);
  expect(refused.refused).toMatch(
    /^the remaining budget cannot cover another model call \(about \d+ prompt tokens, calibrated x1\.1\d\d from what the endpoint reported; \d+ by the plain estimate/,
  );
  expect(refused.estimatedPromptTokens).toBeGreaterThanOrEqual(real);
  expect(calibrated.endpoint.prompts).toHaveLength(1);
});
