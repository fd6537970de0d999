/**
 * ModelClient over the `openai` package's Chat Completions API, for any
 * OpenAI-compatible endpoint, streaming by default (tool calls assembled from
 * their chunks). The SDK's own retries are off: Temporal retries.
 */
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { withCallLimits } from './call-limits';
import { ChatStreamAssembler } from './chat-stream';
import { ModelCallError, classifyModelError } from './errors';
import { usageFromChat } from './usage';
import type {
  ChatMessage,
  ChatToolCall,
  CompleteOptions,
  Completion,
  ModelClient,
  ToolDefinition,
} from './model-client';

/** Re-exported for callers of this client; it lives in errors.ts beside ModelCallError. */
export { classifyModelError };

/** Options of an OpenAIModelClient; the SDK falls back to OPENAI_BASE_URL and api.openai.com for the base URL. */
export interface OpenAIModelClientOptions {
  apiKey?: string;
  baseUrl?: string;
  /** A fetch implementation (tests, proxies); the global fetch when absent. */
  fetch?: typeof fetch;
  /** Stream the answer (the default): progress per chunk and an idle limit. False: one JSON answer. */
  stream?: boolean;
  /** Whether the model may call several tools in one turn (the endpoint's default when absent). */
  parallelToolCalls?: boolean;
  /** Further request fields, sent as they are (e.g. a local server's own options). */
  extraBody?: Record<string, unknown>;
}

/** A ModelClient that calls an OpenAI-compatible Chat Completions endpoint. */
export class OpenAIModelClient implements ModelClient {
  private readonly client: OpenAI;
  private readonly secrets: string[];
  private readonly stream: boolean;

  constructor(private readonly options: OpenAIModelClientOptions = {}) {
    this.client = openAiSdk(options);
    this.secrets = [this.client.apiKey];
    this.stream = options.stream ?? true;
  }

  /** Runs one completion; throws ModelCallError on every failure. */
  async complete(messages: ChatMessage[], tools: ToolDefinition[], options: CompleteOptions): Promise<Completion> {
    const request = toRequest(messages, tools, options, this.options);
    const limits = {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      // A JSON answer sends nothing until it is whole: only a stream has an idle limit.
      idleTimeoutMs: this.stream ? options.idleTimeoutMs : undefined,
    };
    return withCallLimits(limits, this.secrets, async (limit) => {
      if (!this.stream) {
        // Our own controller also covers reading the body; the SDK's timeout stops once headers arrive.
        return toCompletion(
          await this.client.chat.completions.create(request, { signal: limit.signal, maxRetries: 0 }),
        );
      }
      const stream = await this.client.chat.completions.create(
        { ...request, stream: true, stream_options: { include_usage: true } },
        { signal: limit.signal, maxRetries: 0 },
      );
      const answer = new ChatStreamAssembler();
      for await (const chunk of stream) {
        limit.touch();
        const progress = answer.add(chunk);
        options.onProgress?.(progress);
      }
      if (limit.cause()) throw limit.cause();
      return answer.finish();
    });
  }
}

/** The `openai` SDK client of a model client: its own retries off; a placeholder key for keyless local endpoints. */
export function openAiSdk(options: { apiKey?: string; baseUrl?: string; fetch?: typeof fetch }): OpenAI {
  // Local endpoints (vLLM, Ollama, the scripted server) need no key, but the SDK refuses to start without one.
  const apiKey = options.apiKey || process.env.OPENAI_API_KEY || 'no-api-key';
  return new OpenAI({
    apiKey,
    baseURL: options.baseUrl,
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

function toRequest(
  messages: ChatMessage[],
  tools: ToolDefinition[],
  options: CompleteOptions,
  client: OpenAIModelClientOptions,
): ChatCompletionCreateParamsNonStreaming {
  return {
    ...client.extraBody,
    model: options.model,
    messages: messages.map(toMessageParam),
    // OpenAI rejects an empty tools array.
    ...(tools.length > 0
      ? {
          tools: tools.map((t) => ({
            type: 'function' as const,
            function: { name: t.name, description: t.description, parameters: t.parameters },
          })),
        }
      : {}),
    ...(options.maxCompletionTokens !== undefined ? { max_completion_tokens: options.maxCompletionTokens } : {}),
    ...(options.toolChoice && tools.length > 0 ? { tool_choice: options.toolChoice } : {}),
    ...(client.parallelToolCalls !== undefined && tools.length > 0
      ? { parallel_tool_calls: client.parallelToolCalls }
      : {}),
  };
}

function toMessageParam(message: ChatMessage): ChatCompletionMessageParam {
  if (message.role !== 'assistant') return message;
  // Reasoning items belong to the Responses API; Chat Completions has no place for them.
  const { tool_calls: calls, reasoning: _reasoning, ...rest } = message;
  // OpenAI rejects an empty tool_calls array.
  return calls && calls.length > 0 ? { ...rest, tool_calls: calls } : rest;
}

function toCompletion(response: ChatCompletion): Completion {
  const choice = Array.isArray(response?.choices) ? response.choices[0] : undefined;
  if (!choice?.message) {
    throw new ModelCallError('model call failed: malformed_response: the response has no choices', {
      kind: 'malformed_response',
      retryable: true,
    });
  }
  const toolCalls: ChatToolCall[] = (choice.message.tool_calls ?? []).flatMap((call) =>
    call.type === 'function'
      ? [
          {
            id: call.id,
            type: 'function' as const,
            function: { name: call.function.name, arguments: call.function.arguments },
          },
        ]
      : [],
  );
  return {
    message: {
      role: 'assistant',
      content: choice.message.content ?? null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    },
    finishReason: choice.finish_reason ?? 'unknown',
    usage: usageFromChat(response.usage),
  };
}
