/**
 * The ModelClient port: one chat completion with tools. The OpenAI
 * implementation (openai-client.ts) speaks to any OpenAI-compatible endpoint.
 */
import type { Usage } from '../../workflows/types';
import type { ChatMessage, ToolDefinition } from '../shared/chat';

export type { ChatMessage, ChatToolCall, ToolDefinition } from '../shared/chat';

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
