/**
 * The ModelClient port: one chat completion with tools. The OpenAI
 * implementation (openai-client.ts) speaks to any OpenAI-compatible endpoint.
 */
import type { Usage } from '../../workflows/types';

/** A tool call as the model sent it (arguments are the raw JSON text). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of the conversation, in the Chat Completions shape. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A tool the model may call: name, description and JSON schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** Options of one completion. */
export interface CompleteOptions {
  model: string;
  /** Aborts the HTTP request (goal cancelled, activity timed out). */
  signal?: AbortSignal;
  timeoutMs?: number;
  maxCompletionTokens?: number;
  /** `none` asks for a text answer (a plan) even though tools are offered. */
  toolChoice?: 'auto' | 'none';
}

/** What one completion returned. */
export interface Completion {
  message: Extract<ChatMessage, { role: 'assistant' }>;
  finishReason: string;
  usage: Usage;
}

/** Calls a chat model. Throws ModelCallError (with the HTTP status) on failure. */
export interface ModelClient {
  complete(messages: ChatMessage[], tools: ToolDefinition[], options: CompleteOptions): Promise<Completion>;
}
