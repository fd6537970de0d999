/**
 * A Responses API answer as a Completion: output text joined, `function_call`
 * items as tool calls, reasoning items kept on the message (for the store, never
 * for history), usage with cached and reasoning tokens. The stream assembler
 * builds the same from server events.
 */
import type {
  Response,
  ResponseOutputItem,
  ResponseReasoningItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { ModelCallError } from './errors';
import type { ChatToolCall, Completion, ModelProgress, ReasoningItem } from './model-client';
import { usageFromResponses } from './usage';

/** The completion a finished response (completed or incomplete) stands for. */
export function completionFromResponse(response: Response, items?: ResponseOutputItem[]): Completion {
  if (!response || typeof response !== 'object') throw malformed('the response is not an object');
  if (response.status === 'failed') {
    throw new ModelCallError(`model call failed: server_error: ${response.error?.message ?? 'the response failed'}`, {
      kind: 'server_error',
      retryable: true,
    });
  }
  const output = Array.isArray(response.output) && response.output.length > 0 ? response.output : (items ?? []);
  let text: string | null = null;
  const toolCalls: ChatToolCall[] = [];
  const reasoning: ReasoningItem[] = [];
  for (const item of output) {
    if (item?.type === 'message') {
      for (const part of item.content ?? []) {
        const piece = part.type === 'output_text' ? part.text : part.type === 'refusal' ? part.refusal : '';
        text = (text ?? '') + piece;
      }
    } else if (item?.type === 'function_call') {
      toolCalls.push({
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: item.arguments ?? '' },
      });
    } else if (item?.type === 'custom_tool_call') {
      // drydock offers no custom tools: the call goes to the tool runner, which answers that the tool is unknown.
      toolCalls.push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.input } });
    } else if (item?.type === 'reasoning') {
      reasoning.push(reasoningItem(item));
    }
  }
  // Reasoning with no output after it (cut by max_output_tokens, or a model that said nothing) is dropped:
  // the API refuses a reasoning item without its following item, and the loop answers the empty turn.
  const answered = text !== null || toolCalls.length > 0;
  return {
    message: {
      role: 'assistant',
      content: text,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      ...(answered && reasoning.length > 0 ? { reasoning } : {}),
    },
    finishReason: finishReason(response, toolCalls.length > 0),
    usage: usageFromResponses(response.usage),
  };
}

function finishReason(response: Response, calls: boolean): string {
  if (response.status === 'incomplete') {
    const reason = response.incomplete_details?.reason;
    return reason === 'max_output_tokens' ? 'length' : (reason ?? 'incomplete');
  }
  return calls ? 'tool_calls' : 'stop';
}

/** The reasoning item as it is stored and sent back: id, summary, encrypted content. */
function reasoningItem(item: ResponseReasoningItem): ReasoningItem {
  return {
    type: 'reasoning',
    id: item.id,
    summary: (item.summary ?? []).map((s) => ({ type: 'summary_text' as const, text: s.text })),
    ...(item.encrypted_content ? { encrypted_content: item.encrypted_content } : {}),
  };
}

/** Collects the events of one streamed response. */
export class ResponsesStreamAssembler {
  private readonly items = new Map<number, ResponseOutputItem>();
  private final: Response | undefined;
  private events = 0;
  private outputChars = 0;

  /** Takes one server event; returns the progress so far. Throws on `error` and `response.failed`. */
  add(event: ResponseStreamEvent): ModelProgress {
    this.events++;
    switch (event?.type) {
      case 'response.output_item.added':
      case 'response.output_item.done':
        this.items.set(event.output_index, event.item);
        break;
      case 'response.function_call_arguments.delta': {
        const item = this.items.get(event.output_index);
        if (item?.type === 'function_call') item.arguments = (item.arguments ?? '') + event.delta;
        this.outputChars += event.delta.length;
        break;
      }
      case 'response.output_text.delta':
        this.outputChars += event.delta.length;
        break;
      case 'response.completed':
      case 'response.incomplete':
        this.final = event.response;
        break;
      case 'response.failed':
        throw new ModelCallError(
          `model call failed: server_error: ${event.response?.error?.message ?? 'the response failed'}`,
          { kind: 'server_error', retryable: true },
        );
      case 'error':
        throw new ModelCallError(
          `model call failed: server_error: ${event.message ?? 'the stream reported an error'}`,
          {
            kind: 'server_error',
            retryable: true,
          },
        );
      default:
        break;
    }
    return { events: this.events, outputChars: this.outputChars };
  }

  /** The assembled completion; throws a retryable malformed_response when the stream ended before its final event. */
  finish(): Completion {
    if (!this.final) throw malformed('the stream ended before response.completed');
    if (!this.final.usage) throw malformed('the final event carries no usage');
    const items = [...this.items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
    return completionFromResponse(this.final, items);
  }
}

function malformed(what: string): ModelCallError {
  return new ModelCallError(`model call failed: malformed_response: ${what}`, {
    kind: 'malformed_response',
    retryable: true,
  });
}
