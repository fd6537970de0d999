/**
 * Assembles a streamed Chat Completions answer: text deltas joined, tool calls
 * put together from their pieces by index (arguments concatenated), usage from
 * the final chunk (`stream_options.include_usage`).
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { ModelCallError } from './errors';
import type { ChatToolCall, Completion, ModelProgress } from './model-client';
import { usageFromChat } from './usage';

/** A tool call being received. */
interface PartialCall {
  id: string;
  name: string;
  arguments: string;
}

/** Collects the chunks of one streamed chat completion. */
export class ChatStreamAssembler {
  private text = '';
  private sawText = false;
  private readonly calls = new Map<number, PartialCall>();
  private finishReason: string | undefined;
  private usage: CompletionUsage | undefined;
  private events = 0;
  private outputChars = 0;

  /** Takes one chunk; returns the progress so far. */
  add(chunk: ChatCompletionChunk): ModelProgress {
    this.events++;
    if (chunk?.usage) this.usage = chunk.usage;
    const choice = Array.isArray(chunk?.choices) ? chunk.choices[0] : undefined;
    if (choice) {
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') {
        this.text += delta.content;
        this.sawText = true;
        this.outputChars += delta.content.length;
      }
      for (const piece of delta.tool_calls ?? []) this.addCallPiece(piece);
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
    return { events: this.events, outputChars: this.outputChars };
  }

  /** The assembled completion; throws a retryable malformed_response when the stream ended early. */
  finish(): Completion {
    if (this.finishReason === undefined) throw incomplete('the stream ended before a finish_reason');
    if (this.usage === undefined) throw incomplete('the stream ended without usage (stream_options.include_usage)');
    const toolCalls: ChatToolCall[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({
        // Some local servers send no id; the conversation needs one to answer the call.
        id: c.id || `call_${index}`,
        type: 'function' as const,
        function: { name: c.name, arguments: c.arguments },
      }));
    return {
      message: {
        role: 'assistant',
        content: this.sawText ? this.text : null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      },
      finishReason: this.finishReason,
      usage: usageFromChat(this.usage),
    };
  }

  private addCallPiece(piece: ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const index = typeof piece.index === 'number' ? piece.index : this.calls.size;
    let call = this.calls.get(index);
    if (!call) {
      call = { id: '', name: '', arguments: '' };
      this.calls.set(index, call);
    }
    if (piece.id) call.id = piece.id;
    if (piece.function?.name) call.name += piece.function.name;
    if (piece.function?.arguments) {
      call.arguments += piece.function.arguments;
      this.outputChars += piece.function.arguments.length;
    }
  }
}

function incomplete(what: string): ModelCallError {
  return new ModelCallError(`model call failed: malformed_response: ${what}`, {
    kind: 'malformed_response',
    retryable: true,
  });
}
