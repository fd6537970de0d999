/**
 * Agent-side activities of the conversation: open it, append a message, and
 * call the model for one turn. The conversation stays in the ArtifactStore;
 * inputs and results carry indexes and short previews.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ModelSpec, ToolCallRef, Usage } from '../../workflows/types';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix, readConversation, writeMessage } from '../store/conversation';
import { toolDefinitions } from '../tools/registry';
import { ModelCallError, classifyModelError } from './errors';
import type { ModelClient } from './model-client';
import { goalPrompt, systemPrompt } from './prompts';

/** What the agent-side conversation activities need. */
export interface ModelActivityDeps {
  store: ArtifactStore;
  /** Returns the client for a model spec (the worker holds the API key). */
  modelClientFor(model: ModelSpec | undefined): ModelClient;
  /** The model name used when a goal names none. */
  defaultModel: string;
}

/** Input of openConversation. */
export interface OpenConversationInput {
  goalId: string;
  goal: string;
  repository: string;
  baseBranch: string;
  instructionsRef?: string;
  checks: string[];
}

/** Input of appendMessage. */
export interface AppendMessageInput {
  goalId: string;
  index: number;
  role: 'user';
  content: string;
}

/** Input of callModel. */
export interface CallModelInput {
  goalId: string;
  step: number;
  /** Messages [0, length) are the prompt; the reply is written at `length`. */
  length: number;
  model?: ModelSpec;
}

/** What one model turn returned. */
export interface ModelTurn {
  assistantIndex: number;
  toolCalls: ToolCallRef[];
  /** Up to 300 characters of the reply's text. */
  textPreview: string;
  /** The summary argument of a `finish` call, when there is one (up to 1000 characters). */
  finishSummary?: string;
  usage: Usage;
  finishReason: string;
}

/** Creates openConversation, appendMessage and callModel. */
export function createModelActivities(deps: ModelActivityDeps) {
  return {
    /** Writes the system prompt and the goal; returns the conversation's length. */
    async openConversation(input: OpenConversationInput): Promise<number> {
      const instructions = input.instructionsRef ? (await deps.store.get(input.instructionsRef)).toString('utf8') : undefined;
      await writeMessage(deps.store, input.goalId, 0, { role: 'system', content: systemPrompt() });
      await writeMessage(deps.store, input.goalId, 1, {
        role: 'user',
        content: goalPrompt({ ...input, instructions }),
      });
      return 2;
    },

    /** Writes a user message at the index the workflow gives. */
    async appendMessage(input: AppendMessageInput): Promise<void> {
      await writeMessage(deps.store, input.goalId, input.index, { role: input.role, content: input.content });
    },

    /** Calls the model with the conversation and writes its reply at index `length`. */
    async callModel(input: CallModelInput): Promise<ModelTurn> {
      const ctx = Context.current();
      const messages = await readConversation(deps.store, input.goalId, input.length);
      const client = deps.modelClientFor(input.model);
      const heartbeat = setInterval(() => ctx.heartbeat({ step: input.step }), 5_000);
      let completion;
      try {
        completion = await client.complete(messages, toolDefinitions(), {
          model: input.model?.name ?? deps.defaultModel,
          signal: ctx.cancellationSignal,
        });
      } catch (err) {
        throw toFailure(classifyModelError(err));
      } finally {
        clearInterval(heartbeat);
      }
      await writeMessage(deps.store, input.goalId, input.length, completion.message);
      await deps.store.put(`${goalPrefix(input.goalId)}/usage/${String(input.step).padStart(5, '0')}.json`, JSON.stringify(completion.usage));
      const calls = completion.message.tool_calls ?? [];
      const finish = calls.find((c) => c.function.name === 'finish');
      return {
        assistantIndex: input.length,
        toolCalls: calls.map((c) => ({ id: c.id, name: c.function.name, argumentsPreview: c.function.arguments.slice(0, 200) })),
        textPreview: (completion.message.content ?? '').slice(0, 300),
        finishSummary: finish ? finishSummaryOf(finish.function.arguments) : undefined,
        usage: completion.usage,
        finishReason: completion.finishReason,
      };
    },
  };
}

/** Turns a classified model error into the failure Temporal retries (or not). */
function toFailure(err: ModelCallError): ApplicationFailure {
  return ApplicationFailure.create({
    type: `Model${err.kind.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
    message: err.message,
    nonRetryable: !err.retryable,
    nextRetryDelay: err.retryAfterMs,
  });
}

function finishSummaryOf(raw: string): string | undefined {
  try {
    const args = JSON.parse(raw) as { summary?: unknown };
    return typeof args.summary === 'string' ? args.summary.slice(0, 1000) : undefined;
  } catch {
    return undefined;
  }
}
