/**
 * The built-in model profiles: current OpenAI models with their published
 * prices. Plain data: the workflow prices usage from it (policy.ts
 * DEFAULT_PRICES derives from it) and the agent worker starts its profile set
 * from it (activities/model/profiles.ts; DRYDOCK_MODELS adds or overrides).
 *
 * Prices are USD per million tokens, OpenAI's standard tier, short context.
 * Sources (read 2026): gpt-5.5, gpt-5.4, gpt-5.4-mini, gpt-5.4-nano from OpenAI's
 * pricing page as quoted (June 2026) by tokenmix.ai and morphllm.com;
 * gpt-5.3-codex from GitHub's Copilot models-and-pricing table (which lists
 * OpenAI's per-token prices) and its 400K window from Venice's model page;
 * the gpt-4.1, gpt-4o and o-series rows are drydock's earlier table, with the
 * cached-input rates OpenAI published for them (gpt-4.1 $0.50 also in GitHub's
 * table). Verify against https://openai.com/api/pricing before billing; an
 * operator's DRYDOCK_MODELS overrides any row.
 */
import type { ModelPrice } from './types';

/** Which OpenAI wire format a profile speaks. */
export type ModelApi = 'chat' | 'responses';

/** How hard a reasoning model thinks (`reasoning.effort`). */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/** Every reasoning effort a profile may name. */
export const REASONING_EFFORTS: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

/** A model profile as plain data: what to call, where, with which key, at what price. */
export interface ModelProfileSpec {
  /** The model name sent to the endpoint (the profile's own name is what goals pick). */
  model: string;
  api: ModelApi;
  /** The endpoint; absent: the agent worker's OPENAI_BASE_URL (or OpenAI's). Only the operator's file sets it. */
  baseUrl?: string;
  /** The environment variable holding the key; absent: OPENAI_API_KEY. The value never leaves the worker. */
  apiKeyVariable?: string;
  /** The context window in tokens; the prompt is kept below it. */
  contextTokens?: number;
  /** USD per million tokens; absent: not priced. */
  price?: Omit<ModelPrice, 'contextTokens'>;
  /** Reasoning effort, for models that reason. */
  reasoningEffort?: ReasoningEffort;
  /** Whether the model may return several tool calls in one turn. */
  parallelToolCalls?: boolean;
  /** Extra fields merged into every request body (e.g. `{ "service_tier": "flex" }`). */
  extraBody?: Record<string, unknown>;
}

const price = (inputPerMillionUsd: number, cachedInputPerMillionUsd: number, outputPerMillionUsd: number) => ({
  inputPerMillionUsd,
  cachedInputPerMillionUsd,
  outputPerMillionUsd,
});

/** The built-in profiles, by profile name (= the model name). */
export const BUILTIN_MODEL_PROFILES: Readonly<Record<string, ModelProfileSpec>> = {
  // GPT-5.x: reasoning models, best on the Responses API. Prompts above 272K tokens cost more
  // (2x input, 1.5x output); drydock's default prompt limit (128K) stays below it.
  'gpt-5.5': {
    model: 'gpt-5.5',
    api: 'responses',
    contextTokens: 1_050_000,
    price: price(5, 0.5, 30),
    reasoningEffort: 'medium',
    parallelToolCalls: true,
  },
  'gpt-5.4': {
    model: 'gpt-5.4',
    api: 'responses',
    contextTokens: 1_050_000,
    price: price(2.5, 0.25, 15),
    reasoningEffort: 'medium',
    parallelToolCalls: true,
  },
  // The mini and nano windows are taken at 400K (the sources disagree; a smaller window only masks earlier).
  'gpt-5.4-mini': {
    model: 'gpt-5.4-mini',
    api: 'responses',
    contextTokens: 400_000,
    price: price(0.75, 0.075, 4.5),
    reasoningEffort: 'medium',
    parallelToolCalls: true,
  },
  'gpt-5.4-nano': {
    model: 'gpt-5.4-nano',
    api: 'responses',
    contextTokens: 400_000,
    price: price(0.2, 0.02, 1.25),
    reasoningEffort: 'medium',
    parallelToolCalls: true,
  },
  // Codex models are served through the Responses API only.
  'gpt-5.3-codex': {
    model: 'gpt-5.3-codex',
    api: 'responses',
    contextTokens: 400_000,
    price: price(1.75, 0.175, 14),
    reasoningEffort: 'medium',
    parallelToolCalls: true,
  },
  'gpt-4.1': {
    model: 'gpt-4.1',
    api: 'chat',
    contextTokens: 1_047_576,
    price: price(2, 0.5, 8),
    parallelToolCalls: true,
  },
  'gpt-4.1-mini': {
    model: 'gpt-4.1-mini',
    api: 'chat',
    contextTokens: 1_047_576,
    price: price(0.4, 0.1, 1.6),
    parallelToolCalls: true,
  },
  'gpt-4.1-nano': {
    model: 'gpt-4.1-nano',
    api: 'chat',
    contextTokens: 1_047_576,
    price: price(0.1, 0.025, 0.4),
    parallelToolCalls: true,
  },
  'gpt-4o': {
    model: 'gpt-4o',
    api: 'chat',
    contextTokens: 128_000,
    price: price(2.5, 1.25, 10),
    parallelToolCalls: true,
  },
  'gpt-4o-mini': {
    model: 'gpt-4o-mini',
    api: 'chat',
    contextTokens: 128_000,
    price: price(0.15, 0.075, 0.6),
    parallelToolCalls: true,
  },
  o3: { model: 'o3', api: 'chat', contextTokens: 200_000, price: price(2, 0.5, 8), reasoningEffort: 'medium' },
  'o4-mini': {
    model: 'o4-mini',
    api: 'chat',
    contextTokens: 200_000,
    price: price(1.1, 0.275, 4.4),
    reasoningEffort: 'medium',
  },
};

/** A profile's price with its context window, as the workflow's price table holds it; undefined when unpriced. */
export function profilePrice(profile: ModelProfileSpec): ModelPrice | undefined {
  if (!profile.price) return undefined;
  return { ...profile.price, ...(profile.contextTokens !== undefined ? { contextTokens: profile.contextTokens } : {}) };
}
