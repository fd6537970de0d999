/**
 * ModelClient over the `openai` package's Responses API: function tools,
 * tool results as `function_call_output`, `store: false` (no retention at the
 * provider) with the encrypted reasoning items carried on the assistant
 * message from turn to turn, streaming by default. The SDK's own retries are
 * off: Temporal retries.
 */
import type OpenAI from 'openai';
import type { ResponseCreateParamsNonStreaming, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { withCallLimits } from './call-limits';
import type { ChatMessage, CompleteOptions, Completion, ModelClient, ToolDefinition } from './model-client';
import { openAiSdk } from './openai-client';
import { toFunctionTools, toResponsesInput } from './responses-input';
import { ResponsesStreamAssembler, completionFromResponse } from './responses-output';

/** Options of an OpenAIResponsesClient. */
export interface OpenAIResponsesClientOptions {
  apiKey?: string;
  baseUrl?: string;
  /** A fetch implementation (tests, proxies); the global fetch when absent. */
  fetch?: typeof fetch;
  /** Stream the answer (the default): progress per event and an idle limit. False: one JSON answer. */
  stream?: boolean;
  /** Let the provider keep the responses (false by default: nothing is retained). */
  store?: boolean;
  /** Ask for encrypted reasoning items and carry them to the next turn (true by default; models without reasoning may refuse it). */
  encryptedReasoning?: boolean;
  /** `reasoning.effort` for models that have one. */
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
  /** Whether the model may call several tools in one turn (the endpoint's default when absent). */
  parallelToolCalls?: boolean;
  /** Further request fields, sent as they are. */
  extraBody?: Record<string, unknown>;
}

/** A ModelClient that calls the Responses API. */
export class OpenAIResponsesClient implements ModelClient {
  private readonly client: OpenAI;
  private readonly secrets: string[];

  constructor(private readonly options: OpenAIResponsesClientOptions = {}) {
    this.client = openAiSdk(options);
    this.secrets = [this.client.apiKey];
  }

  /** Runs one response; throws ModelCallError on every failure. */
  async complete(messages: ChatMessage[], tools: ToolDefinition[], options: CompleteOptions): Promise<Completion> {
    const request = this.toRequest(messages, tools, options);
    const stream = this.options.stream ?? true;
    const limits = {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: stream ? options.idleTimeoutMs : undefined,
    };
    return withCallLimits(limits, this.secrets, async (limit) => {
      if (!stream) {
        return completionFromResponse(
          await this.client.responses.create(request, { signal: limit.signal, maxRetries: 0 }),
        );
      }
      const events = await this.client.responses.create(
        { ...request, stream: true },
        { signal: limit.signal, maxRetries: 0 },
      );
      const answer = new ResponsesStreamAssembler();
      for await (const event of events as AsyncIterable<ResponseStreamEvent>) {
        limit.touch();
        const progress = answer.add(event);
        options.onProgress?.(progress);
      }
      if (limit.cause()) throw limit.cause();
      return answer.finish();
    });
  }

  private toRequest(
    messages: ChatMessage[],
    tools: ToolDefinition[],
    options: CompleteOptions,
  ): ResponseCreateParamsNonStreaming {
    const o = this.options;
    return {
      ...o.extraBody,
      model: options.model,
      input: toResponsesInput(messages),
      store: o.store ?? false,
      ...((o.encryptedReasoning ?? true) ? { include: ['reasoning.encrypted_content' as const] } : {}),
      ...(o.reasoningEffort ? { reasoning: { effort: o.reasoningEffort } } : {}),
      ...(tools.length > 0 ? { tools: toFunctionTools(tools) } : {}),
      ...(options.toolChoice && tools.length > 0 ? { tool_choice: options.toolChoice } : {}),
      ...(o.parallelToolCalls !== undefined && tools.length > 0 ? { parallel_tool_calls: o.parallelToolCalls } : {}),
      ...(options.maxCompletionTokens !== undefined ? { max_output_tokens: options.maxCompletionTokens } : {}),
    };
  }
}
