/**
 * callModel in MockActivityEnvironment over an in-memory store and a playback
 * model client: the prompt is the stored conversation, the reply is stored at
 * the index the workflow gives and only previews come back; a call the budget
 * cannot cover is never made; a model error becomes its catalogued failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createModelActivities, type CallBudget } from '../../../activities/agent/model-activities';
import { ModelCallError } from '../../../activities/model/errors';
import type { Completion, ModelClient } from '../../../activities/model/model-client';
import { messageKey } from '../../../activities/store/conversation';
import {
  InMemoryArtifactStore,
  mockActivityEnvironment,
  runActivity,
  PlaybackModelClient,
} from '../../support/fake-ports';

const GOAL = 'goal-call-model';
const BUDGET: CallBudget = {
  remainingTokens: 100_000,
  maxPromptTokens: 64_000,
  observationWindow: 4,
  timeoutSeconds: 60,
};

async function setUp(model: ModelClient) {
  const store = new InMemoryArtifactStore();
  const activities = createModelActivities({ store, modelClientFor: () => model, defaultModel: 'gpt-4.1-mini' });
  const env = mockActivityEnvironment();
  const length = await runActivity(env, activities.openConversation, {
    goalId: GOAL,
    goal: 'Fix add',
    repository: '/srv/git/demo',
    baseBranch: 'main',
    checks: ['npm test'],
  });
  const callModel = (budget: CallBudget = BUDGET) =>
    runActivity(env, activities.callModel, { goalId: GOAL, step: 0, length, budget });
  return { store, length, callModel };
}

const finishing: Completion = {
  message: {
    role: 'assistant',
    content: 'Done.',
    tool_calls: [
      {
        id: 'call-9',
        type: 'function',
        function: { name: 'finish', arguments: JSON.stringify({ summary: 'fixed add', rationale: 'a + b' }) },
      },
    ],
  },
  finishReason: 'tool_calls',
  usage: { promptTokens: 900, completionTokens: 40, totalTokens: 940 },
};

test('the stored conversation is the prompt; the reply is stored at `length` and only previews come back', async () => {
  const model = new PlaybackModelClient([finishing]);
  const { store, length, callModel } = await setUp(model);
  const turn = await callModel();

  expect(model.requests).toHaveLength(1);
  expect(model.requests[0]?.messages.map((m) => m.role)).toEqual(['system', 'user']);
  expect(model.requests[0]?.tools.map((t) => t.name)).toContain('finish');
  expect(model.requests[0]?.options.model).toBe('gpt-4.1-mini');
  expect(store.json(messageKey(GOAL, length))).toEqual(finishing.message);
  expect(turn).toEqual(
    expect.objectContaining({
      assistantIndex: length,
      finishSummary: 'fixed add',
      textPreview: 'Done.',
      usage: finishing.usage,
      toolCalls: [
        expect.objectContaining({ id: 'call-9', name: 'finish', signature: expect.stringMatching(/^[0-9a-f]{16}$/) }),
      ],
    }),
  );
});

test('a call the remaining tokens cannot cover is refused without calling the model', async () => {
  const model = new PlaybackModelClient([finishing]);
  const { store, length, callModel } = await setUp(model);
  const turn = await callModel({ ...BUDGET, remainingTokens: 300 });

  expect(turn.refused).toMatch(/^the remaining budget cannot cover another model call/);
  expect(turn.usage.totalTokens).toBe(0);
  expect(model.requests).toEqual([]);
  expect(await store.has(messageKey(GOAL, length))).toBe(false);
});

test('a refused API key is a non-retryable ModelUnauthorized failure', async () => {
  const refusing: ModelClient = {
    complete: async () => {
      throw new ModelCallError('401 invalid api key', { kind: 'unauthorized', retryable: false, status: 401 });
    },
  };
  const { callModel } = await setUp(refusing);
  const failure = await callModel().catch((err: unknown) => err);

  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe('ModelUnauthorized');
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  expect((failure as ApplicationFailure).message).toBe('401 invalid api key');
});
