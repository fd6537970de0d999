/** The script format: the turns the scripted model plays back, and how a JSON script file is read. */
import { readFileSync } from 'node:fs';

/** Token counts a turn reports; defaults are estimated from the request. */
export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  /** Of the prompt tokens, those served from the provider's cache. */
  cached_tokens?: number;
  /** Of the completion tokens, those spent reasoning. */
  reasoning_tokens?: number;
}

/** Reasoning before the answer: a reasoning item (Responses: with encrypted content) and, streaming, reasoning events. */
export interface ScriptedReasoning {
  /** Streaming: send a reasoning event every `everyMs` for this many seconds before the answer (0 by default). */
  seconds?: number;
  /** Milliseconds between two reasoning events (1000 by default). */
  everyMs?: number;
}

/**
 * A fault of a streamed answer, after `afterEvents` events: `stall` goes silent
 * and holds the connection open; `end` closes the stream cleanly without the
 * rest (no final event, no usage); `garbage` sends a data line that is not JSON.
 */
export interface ScriptedStreamFault {
  kind: 'stall' | 'end' | 'garbage';
  afterEvents: number;
}

/** Checks on the request a turn answers; a failed check answers 400 and is recorded in `failures`. */
export interface ScriptedExpectation {
  lastMessageIncludes?: string;
  anyMessageIncludes?: string;
}

interface TurnCommon {
  usage?: ScriptedUsage;
  expect?: ScriptedExpectation;
  reasoning?: ScriptedReasoning;
  /** Applies only when the client streams. */
  streamFault?: ScriptedStreamFault;
}

/** One scripted tool call; object arguments are JSON-encoded, a string is sent raw (to script malformed JSON). */
export interface ScriptedCall {
  name: string;
  arguments: unknown;
}

/** One scripted answer to a model request (Chat Completions or Responses, streamed or not). */
export type ScriptedTurn =
  | (TurnCommon & { type: 'tool_calls'; calls: ScriptedCall[]; content?: string })
  | (TurnCommon & { type: 'text'; content: string })
  | (TurnCommon & { type: 'error'; status: number; retryAfterSeconds?: number; message?: string })
  /** Holds the request open; after `ms` the connection is dropped without an answer. */
  | (TurnCommon & { type: 'hang'; ms?: number })
  | (TurnCommon & { type: 'empty' });

/** The turns that inject a fault instead of answering. */
export type ScriptedFault = Extract<ScriptedTurn, { type: 'error' | 'hang' }>;

const TURN_TYPES = new Set(['tool_calls', 'text', 'error', 'hang', 'empty']);

/** Reads a script: a JSON array of turns. */
export function loadScript(file: string): ScriptedTurn[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${file}: a script is a JSON array of turns`);
  parsed.forEach((turn: unknown, index) => {
    const type = (turn as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !TURN_TYPES.has(type)) {
      throw new Error(
        `${file}: turn ${index + 1} has type ${JSON.stringify(type)}; expected one of ${[...TURN_TYPES].join(', ')}`,
      );
    }
  });
  return parsed as ScriptedTurn[];
}
