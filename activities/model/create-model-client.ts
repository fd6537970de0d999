/** The one place a ModelClient is built: Chat Completions or the Responses API, by the `api` a profile or the worker names. */
import type { ModelClient } from './model-client';
import { OpenAIModelClient } from './openai-client';
import { OpenAIResponsesClient, type OpenAIResponsesClientOptions } from './openai-responses-client';

/** The wire formats drydock speaks. */
export type ModelApi = 'chat' | 'responses';

/** Every model API, for validation. */
export const MODEL_APIS: readonly ModelApi[] = ['chat', 'responses'];

/** What a model client is built from; `store` and `encryptedReasoning` apply to `responses` only. */
export interface ModelClientOptions extends OpenAIResponsesClientOptions {
  api: ModelApi;
}

/** Builds the client of an API. */
export function createModelClient(options: ModelClientOptions): ModelClient {
  const { api, ...rest } = options;
  if (api === 'responses') return new OpenAIResponsesClient(rest);
  return new OpenAIModelClient({
    apiKey: rest.apiKey,
    baseUrl: rest.baseUrl,
    ...(rest.fetch ? { fetch: rest.fetch } : {}),
    ...(rest.stream !== undefined ? { stream: rest.stream } : {}),
    ...(rest.parallelToolCalls !== undefined ? { parallelToolCalls: rest.parallelToolCalls } : {}),
    // Chat Completions names the effort `reasoning_effort`.
    extraBody: { ...(rest.reasoningEffort ? { reasoning_effort: rest.reasoningEffort } : {}), ...rest.extraBody },
  });
}
