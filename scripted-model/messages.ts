/** Reading the messages of a request (chat messages or Responses input items): their text, and the prompt token estimate built on it. */
import type { ScriptedUsage } from './script';

/** The text of a message's content; non-string content is JSON-encoded. */
export function contentText(message: unknown): string {
  const content = (message as { content?: unknown } | null)?.content;
  if (typeof content === 'string') return content;
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

/**
 * Responses input items as chat-like messages, so that expectations and the
 * usage estimate read both formats alike: text parts joined into `content`,
 * a `function_call_output` as its output, a `function_call` as a tool call.
 */
export function responsesMessages(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) return [];
  return input.map((item: unknown) => {
    const i = (item ?? {}) as { type?: unknown; content?: unknown; output?: unknown; arguments?: unknown };
    if (i.type === 'function_call_output') return { content: typeof i.output === 'string' ? i.output : '' };
    if (i.type === 'function_call') return { content: '', tool_calls: [{ function: { arguments: i.arguments } }] };
    if (Array.isArray(i.content)) {
      const parts = i.content as { text?: unknown }[];
      return { content: parts.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('') };
    }
    return { content: typeof i.content === 'string' ? i.content : '' };
  });
}

/** Characters of the messages' contents and tool call arguments: the basis of the prompt token estimate. */
function messageChars(messages: unknown[]): number {
  let chars = 0;
  for (const message of messages) {
    chars += contentText(message).length;
    const calls = (message as { tool_calls?: unknown } | null)?.tool_calls;
    if (Array.isArray(calls)) {
      for (const call of calls) {
        const args = (call as { function?: { arguments?: unknown } } | null)?.function?.arguments;
        if (typeof args === 'string') chars += args.length;
      }
    }
  }
  return chars;
}

/** Usage estimated from a request (about 4 characters a token); like a real endpoint, tool definitions count as prompt. */
export function estimateUsage(messages: unknown[], tools: unknown): ScriptedUsage {
  const toolChars = tools === undefined ? 0 : JSON.stringify(tools).length;
  return { prompt_tokens: Math.ceil((messageChars(messages) + toolChars) / 4), completion_tokens: 20 };
}
