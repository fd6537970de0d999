/**
 * The conversation in the Responses API's input shape: messages as role
 * messages, an assistant turn as its reasoning items (carried from the store),
 * its text and its `function_call` items, tool results as `function_call_output`.
 */
import type { FunctionTool, ResponseInputItem } from 'openai/resources/responses/responses';
import type { ChatMessage, ToolDefinition } from './model-client';

/** The input items of a conversation. */
export function toResponsesInput(messages: ChatMessage[]): ResponseInputItem[] {
  return messages.flatMap((message): ResponseInputItem[] => {
    switch (message.role) {
      case 'system':
      case 'user':
        return [{ role: message.role, content: message.content }];
      case 'tool':
        return [{ type: 'function_call_output', call_id: message.tool_call_id, output: message.content }];
      case 'assistant':
        return assistantItems(message);
    }
  });
}

/** An assistant turn: reasoning first, then its text, then its function calls (the order the model produced them in). */
function assistantItems(message: Extract<ChatMessage, { role: 'assistant' }>): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  const calls = message.tool_calls ?? [];
  const hasText = message.content !== null && message.content !== '';
  // A reasoning item must be followed by the output it led to; alone, the API refuses it.
  if (hasText || calls.length > 0) {
    for (const r of message.reasoning ?? []) {
      items.push({
        type: 'reasoning',
        id: r.id,
        summary: r.summary,
        ...(r.encrypted_content ? { encrypted_content: r.encrypted_content } : {}),
      });
    }
  }
  if (hasText) items.push({ role: 'assistant', content: message.content ?? '' });
  for (const c of calls) {
    items.push({ type: 'function_call', call_id: c.id, name: c.function.name, arguments: c.function.arguments });
  }
  return items;
}

/** The tools as Responses function tools (not strict: drydock's schemas have optional fields). */
export function toFunctionTools(tools: ToolDefinition[]): FunctionTool[] {
  return tools.map((t) => ({
    type: 'function',
    name: t.name,
    description: t.description,
    parameters: t.parameters,
    strict: false,
  }));
}
