/**
 * The ModelClient port: one chat completion with tools. The OpenAI
 * implementations speak Chat Completions (openai-client.ts) to any
 * OpenAI-compatible endpoint, or the Responses API (openai-responses-client.ts).
 */
import type { Usage } from '../../workflows/types';
import type { ChatMessage, ToolDefinition } from '../shared/chat';

export type { ChatMessage, ChatToolCall, ReasoningItem, ToolDefinition } from '../shared/chat';

/** How far a streaming answer has come. */
export interface ModelProgress {
  /** Chunks or server events received so far. */
  events: number;
  /** Characters of text and tool arguments received so far. */
  outputChars: number;
}

/** Options of one completion. */
export interface CompleteOptions {
  model: string;
  /** Aborts the HTTP request (goal cancelled, activity timed out). */
  signal?: AbortSignal;
  /** The whole call, in milliseconds. */
  timeoutMs?: number;
  /** Nothing received for this long (a streaming call): the connection is taken for dead (kind `idle`). */
  idleTimeoutMs?: number;
  /** Called on every chunk or event received (the activity heartbeats on it). */
  onProgress?: (progress: ModelProgress) => void;
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
