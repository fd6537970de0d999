/** The conversation's messages and tool definitions, in the Chat Completions shape: plain types every layer may use. */

/** A tool call as the model sent it (arguments are the raw JSON text). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * A reasoning item of the Responses API as the model returned it (its content
 * encrypted): kept with the assistant message in the store and sent back
 * before that turn's function calls; Chat Completions drops it.
 */
export interface ReasoningItem {
  type: 'reasoning';
  id: string;
  summary: { type: 'summary_text'; text: string }[];
  encrypted_content?: string | null;
}

/** One message of the conversation, in the Chat Completions shape. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[]; reasoning?: ReasoningItem[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A tool the model may call: name, description and JSON schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}
