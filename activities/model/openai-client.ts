/**
 * ModelClient over the `openai` package's Chat Completions API, for any
 * OpenAI-compatible endpoint. The SDK's own retries are off: Temporal retries.
 */
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { ModelCallError, classifyModelError } from './errors';
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
}

/** A ModelClient that calls an OpenAI-compatible Chat Completions endpoint. */
export class OpenAIModelClient implements ModelClient {
  private readonly client: OpenAI;
  private readonly secrets: string[];

  constructor(options: OpenAIModelClientOptions = {}) {
    // Local endpoints (vLLM, Ollama, the scripted server) need no key, but the SDK refuses to start without one.
    const apiKey = options.apiKey || process.env.OPENAI_API_KEY || 'no-api-key';
    this.secrets = [apiKey];
    this.client = new OpenAI({
      apiKey,
      baseURL: options.baseUrl,
      maxRetries: 0,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** Runs one completion; throws ModelCallError on every failure. */
  async complete(messages: ChatMessage[], tools: ToolDefinition[], options: CompleteOptions): Promise<Completion> {
    if (options.signal?.aborted) throw abortedError();
    // Our own controller also covers reading the body; the SDK's timeout stops once headers arrive.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, options.timeoutMs)
        : undefined;
    try {
      const response = await this.client.chat.completions.create(toRequest(messages, tools, options), {
        signal: controller.signal,
        maxRetries: 0,
      });
      return toCompletion(response);
    } catch (err) {
      if (timedOut) {
        throw new ModelCallError(`model call failed: timeout: no answer within ${options.timeoutMs} ms`, {
          kind: 'timeout',
          retryable: true,
        });
      }
      if (options.signal?.aborted) throw abortedError();
      throw classifyModelError(err, this.secrets);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function abortedError(): ModelCallError {
  return new ModelCallError('model call failed: aborted: the call was cancelled', {
    kind: 'aborted',
    retryable: false,
  });
}

function toRequest(
  messages: ChatMessage[],
  tools: ToolDefinition[],
  options: CompleteOptions,
): ChatCompletionCreateParamsNonStreaming {
  return {
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
  };
}

function toMessageParam(message: ChatMessage): ChatCompletionMessageParam {
  if (message.role !== 'assistant') return message;
  const { tool_calls: calls, ...rest } = message;
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
  const usage = response.usage;
  const promptTokens = usage?.prompt_tokens ?? 0;
  const completionTokens = usage?.completion_tokens ?? 0;
  return {
    message: {
      role: 'assistant',
      content: choice.message.content ?? null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    },
    finishReason: choice.finish_reason ?? 'unknown',
    usage: { promptTokens, completionTokens, totalTokens: usage?.total_tokens ?? promptTokens + completionTokens },
  };
}
