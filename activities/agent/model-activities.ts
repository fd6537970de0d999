/**
 * Agent-side activities of the conversation: open it, append a message, and
 * call the model for one turn. The conversation stays in the ArtifactStore;
 * inputs and results carry indexes and short previews.
 */
import { type ApplicationFailure, Context } from '@temporalio/activity';
import { createHash } from 'crypto';
import { failure } from '../../workflows/failures';
import { DEFAULT_POLICY } from '../../workflows/policy';
import type { ModelPrice, ModelSpec, ToolCallRef, Usage } from '../../workflows/types';
import type { ArtifactStore } from '../store/artifact-store';
import { readConversation, writeMessage } from '../store/conversation';
import { readFinishCall } from '../tools/finish';
import { toolDefinitions } from '../tools/registry';
import { MODEL_FAILURE_TYPES, ModelCallError, classifyModelError } from '../model/errors';
import type { ModelClient, ModelProgress } from '../model/model-client';
import { fitPrompt } from '../model/context';
import type { PromptCalibration } from '../model/prompt-calibration';
import { priceOfProfile, type ModelProfile } from '../model/profiles';
import { goalPrompt, systemPrompt } from '../model/prompts';

/** What the agent-side conversation activities need. */
export interface ModelActivityDeps {
  store: ArtifactStore;
  /** Returns the client for a model spec (the worker holds the API key and decides the endpoint); throws ModelEndpointNotAllowed for a base URL the operator did not list. */
  modelClientFor(model: ModelSpec | undefined): ModelClient;
  /** The model name used when a goal names none. */
  defaultModel: string;
  /** The operator's model profile of a name (the model sent, its price and context window); undefined: none. */
  profileFor?(name: string): ModelProfile | undefined;
  /** Calibrates the prompt estimate from what the endpoint reports (absent: the plain estimate). */
  calibration?: PromptCalibration;
}

/** Input of openConversation. */
export interface OpenConversationInput {
  goalId: string;
  goal: string;
  repository: string;
  baseBranch: string;
  instructionsRef?: string;
  checks: string[];
  /** The agent phase's internet allowlist in words (from runSetup); absent: no network. */
  internet?: string;
}

/** Input of appendMessage: a person's or drydock's words, or the result of a tool call that did not run. */
export interface AppendMessageInput {
  goalId: string;
  index: number;
  role: 'user' | 'tool';
  /** The tool call a `tool` message answers. */
  toolCallId?: string;
  content: string;
}

/** The budget one model call must fit in. */
export interface CallBudget {
  /** Tokens (prompt + completion) the goal has left. */
  remainingTokens: number;
  /** Dollars the goal has left, when it has a cost limit. */
  remainingCostUsd?: number;
  /** The model's price, when known (the goal's policy.prices over the built-in table). */
  price?: ModelPrice;
  /** The goal's own price for its model (policy.prices), which wins over the worker's profile. */
  goalPrice?: ModelPrice;
  /** Prompt tokens one call may send. */
  maxPromptTokens: number;
  /** Tool results kept whole; older ones are masked. */
  observationWindow: number;
  /** Timeout of the HTTP request, in seconds. */
  timeoutSeconds: number;
  /** A stream silent this long is cut as a dead connection (ModelIdle); absent in inputs older than the idle limit. */
  idleTimeoutSeconds?: number;
}

/** Input of callModel. */
export interface CallModelInput {
  goalId: string;
  step: number;
  /** Messages [0, length) are the prompt; the reply is written at `length`. */
  length: number;
  model?: ModelSpec;
  budget: CallBudget;
  /** `none`: the model must answer in text (a plan for approval); its text comes back in full (up to 4000 characters). */
  toolChoice?: 'auto' | 'none';
}

/** Tokens a call must be able to produce for it to be worth starting. */
const MIN_COMPLETION_TOKENS = 256;

/** What one model turn returned; `refused` when the budget could not cover the call and none was made. */
export interface ModelTurn {
  refused?: string;
  /** Prompt tokens drydock estimated before the call (calibrated from what the endpoint reported before). */
  estimatedPromptTokens: number;
  /** The plain estimate (3 characters a token) before calibration; absent on refusals and in older results. */
  plainEstimatedPromptTokens?: number;
  assistantIndex: number;
  toolCalls: (ToolCallRef & { signature: string })[];
  /** Up to 300 characters of the reply's text. */
  textPreview: string;
  /** The summary argument of a `finish` call, when there is one (up to 1000 characters). */
  finishSummary?: string;
  usage: Usage;
  finishReason: string;
  /** The price the call was budgeted and is accounted at: the goal's own, else the worker's profile, else the built-in. */
  price?: ModelPrice;
  /** The model (profile) name the call went to. */
  model?: string;
}

/** Creates openConversation, appendMessage and callModel. */
export function createModelActivities(deps: ModelActivityDeps) {
  return {
    /** Writes the system prompt and the goal; returns the conversation's length. */
    async openConversation(input: OpenConversationInput): Promise<number> {
      const instructions = input.instructionsRef
        ? (await deps.store.get(input.instructionsRef)).toString('utf8')
        : undefined;
      await writeMessage(deps.store, input.goalId, 0, { role: 'system', content: systemPrompt(input.internet) });
      await writeMessage(deps.store, input.goalId, 1, {
        role: 'user',
        content: goalPrompt({ ...input, instructions }),
      });
      return 2;
    },

    /** Writes a user message at the index the workflow gives. */
    async appendMessage(input: AppendMessageInput): Promise<void> {
      await writeMessage(
        deps.store,
        input.goalId,
        input.index,
        input.role === 'tool'
          ? { role: 'tool', tool_call_id: input.toolCallId ?? '', content: input.content }
          : { role: 'user', content: input.content },
      );
    },

    /** Calls the model with the conversation and writes its reply at index `length`. */
    async callModel(input: CallModelInput): Promise<ModelTurn> {
      const ctx = Context.current();
      // First, so that a refused endpoint (ModelEndpointNotAllowed) fails the goal before anything else.
      const client = deps.modelClientFor(input.model);
      const { budget } = input;
      const modelName = input.model?.name ?? deps.defaultModel;
      const profile = deps.profileFor?.(modelName);
      const price = budget.goalPrice ?? priceOfProfile(profile) ?? budget.price;
      const factor = (await deps.calibration?.factorFor(modelName)) ?? 1;
      const tools = toolDefinitions();
      const conversation = await readConversation(deps.store, input.goalId, input.length);
      const refuse = (refused: string, estimatedPromptTokens: number): ModelTurn => ({
        refused,
        estimatedPromptTokens,
        assistantIndex: input.length,
        toolCalls: [],
        textPreview: '',
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        finishReason: 'refused',
      });
      const context = profile?.contextTokens ?? price?.contextTokens;
      const contextLimit = context ? context - MIN_COMPLETION_TOKENS : Infinity;
      const promptLimit = Math.min(budget.maxPromptTokens, contextLimit);
      const fitted = fitPrompt(conversation, tools, budget.observationWindow, promptLimit, factor);
      if (!fitted) {
        return refuse(
          `the conversation no longer fits in ${promptLimit} prompt tokens, even with every older tool output masked`,
          0,
        );
      }
      // Never start a call the remaining budget cannot cover: cap the completion at what is left.
      // The prompt is priced at the full input rate here: which part the endpoint will serve from its cache is not known yet.
      let maxCompletion = budget.remainingTokens - fitted.estimatedTokens;
      if (budget.remainingCostUsd !== undefined && price) {
        const left = budget.remainingCostUsd - (fitted.estimatedTokens * price.inputPerMillionUsd) / 1_000_000;
        const affordable =
          price.outputPerMillionUsd > 0 ? Math.floor((left * 1_000_000) / price.outputPerMillionUsd) : Infinity;
        maxCompletion = Math.min(maxCompletion, left < 0 ? -1 : affordable);
      }
      if (maxCompletion < MIN_COMPLETION_TOKENS) {
        const calibrated =
          factor !== 1
            ? `, calibrated x${factor.toFixed(3)} from what the endpoint reported; ${fitted.rawEstimatedTokens} by the plain estimate`
            : '';
        return refuse(
          `the remaining budget cannot cover another model call (about ${fitted.estimatedTokens} prompt tokens${calibrated}; ${budget.remainingTokens} tokens` +
            `${budget.remainingCostUsd !== undefined ? ` and $${budget.remainingCostUsd.toFixed(4)}` : ''} left)`,
          fitted.estimatedTokens,
        );
      }
      // Each chunk or event heartbeats (the SDK throttles what it sends); the interval covers the wait for the first byte.
      let progress: ModelProgress = { events: 0, outputChars: 0 };
      const beat = (): void => ctx.heartbeat({ step: input.step, ...progress });
      const heartbeat = setInterval(beat, 2_000);
      let completion;
      try {
        completion = await client.complete(fitted.messages, tools, {
          model: profile?.model ?? modelName,
          signal: ctx.cancellationSignal,
          timeoutMs: budget.timeoutSeconds * 1000,
          idleTimeoutMs: (budget.idleTimeoutSeconds ?? DEFAULT_POLICY.modelIdleTimeoutSeconds) * 1000,
          onProgress: (p) => {
            progress = p;
            beat();
          },
          maxCompletionTokens: maxCompletion < 32_768 ? maxCompletion : undefined,
          toolChoice: input.toolChoice,
        });
      } catch (err) {
        throw toFailure(classifyModelError(err));
      } finally {
        clearInterval(heartbeat);
      }
      await writeMessage(deps.store, input.goalId, input.length, completion.message);
      await deps.calibration?.observe(modelName, fitted.rawEstimatedTokens, completion.usage.promptTokens);
      const calls = completion.message.tool_calls ?? [];
      return {
        estimatedPromptTokens: fitted.estimatedTokens,
        plainEstimatedPromptTokens: fitted.rawEstimatedTokens,
        assistantIndex: input.length,
        toolCalls: calls.map((c) => ({
          id: c.id,
          name: c.function.name,
          argumentsPreview: c.function.arguments.slice(0, 200),
          signature: createHash('sha256')
            .update(`${c.function.name}\n${c.function.arguments}`)
            .digest('hex')
            .slice(0, 16),
        })),
        textPreview: (completion.message.content ?? '').slice(0, input.toolChoice === 'none' ? 4000 : 300),
        finishSummary: readFinishCall(completion.message)?.summary?.slice(0, 1000),
        usage: completion.usage,
        finishReason: completion.finishReason,
        ...(price ? { price } : {}),
        model: modelName,
      };
    },
  };
}

/** Turns a classified model error into the failure Temporal retries (or not: a spent quota answers 429 too). */
function toFailure(err: ModelCallError): ApplicationFailure {
  return failure(MODEL_FAILURE_TYPES[err.kind], err.message, {
    nonRetryable: !err.retryable,
    nextRetryDelay: err.retryAfterMs,
  });
}
