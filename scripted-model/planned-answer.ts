/** A scripted turn made concrete (ids, JSON arguments, usage) before any wire format renders it. */
import type { ScriptedTurn, ScriptedUsage } from './script';

/** One tool call of an answer. */
export interface PlannedCall {
  id: string;
  name: string;
  arguments: string;
}

/** What one answer holds, whatever the wire format. */
export interface PlannedAnswer {
  turnNumber: number;
  model: string;
  text: string | null;
  calls: PlannedCall[];
  finishReason: 'tool_calls' | 'stop';
  usage: ScriptedUsage;
  /** The reasoning item (Responses) when the turn reasons. */
  reasoning?: { id: string; encryptedContent: string; summary: string };
  /** Reasoning events to stream before the answer, and the gap between them. */
  reasoningEvents: number;
  reasoningEveryMs: number;
  /** An `empty` turn: no choices (Chat), no output but reasoning (Responses). */
  empty: boolean;
}

/** The encrypted content the scripted server gives the reasoning item of a turn (what a client must send back). */
export function encryptedReasoningOf(turnNumber: number): string {
  return Buffer.from(`scripted encrypted reasoning of turn ${turnNumber}`).toString('base64');
}

/** Makes a non-fault turn concrete. */
export function planAnswer(
  turn: Exclude<ScriptedTurn, { type: 'error' | 'hang' }>,
  context: { turnNumber: number; model: string; usage: ScriptedUsage; nextCallId: () => string },
): PlannedAnswer {
  const calls =
    turn.type === 'tool_calls'
      ? turn.calls.map((call) => ({
          id: context.nextCallId(),
          name: call.name,
          arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        }))
      : [];
  const text = turn.type === 'text' ? turn.content : turn.type === 'tool_calls' ? (turn.content ?? null) : null;
  const everyMs = turn.reasoning?.everyMs ?? 1000;
  return {
    turnNumber: context.turnNumber,
    model: context.model,
    text,
    calls,
    finishReason: calls.length > 0 ? 'tool_calls' : 'stop',
    usage: context.usage,
    ...(turn.reasoning
      ? {
          reasoning: {
            id: `rs_scripted_${context.turnNumber}`,
            encryptedContent: encryptedReasoningOf(context.turnNumber),
            summary: `Thinking about turn ${context.turnNumber}.`,
          },
        }
      : {}),
    reasoningEvents: Math.ceil(((turn.reasoning?.seconds ?? 0) * 1000) / everyMs),
    reasoningEveryMs: everyMs,
    empty: turn.type === 'empty',
  };
}
