/** Plays one scripted turn as the answer to a chat completion request. */
import type http from 'node:http';
import { injectFault } from './faults';
import { completion, sendJson } from './openai-wire';
import type { ScriptedTurn, ScriptedUsage } from './script';

/** What answering a turn needs besides the turn itself. */
export interface AnswerContext {
  /** 1-based number of the request being answered. */
  turnNumber: number;
  /** The model the request named ('scripted' when it named none). */
  model: string;
  usage: ScriptedUsage;
  /** A fresh tool call id, unique across the server's life. */
  nextCallId: () => string;
  /** Timers of hanging turns, cleared when the server closes. */
  hangTimers: Set<NodeJS.Timeout>;
}

/** Answers the request with the turn: a completion (tool calls, text, no choices) or a fault. */
export function answerTurn(res: http.ServerResponse, turn: ScriptedTurn, context: AnswerContext): void {
  const { turnNumber, model, usage } = context;
  switch (turn.type) {
    case 'tool_calls': {
      const toolCalls = turn.calls.map((call) => ({
        id: context.nextCallId(),
        type: 'function',
        function: {
          name: call.name,
          arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        },
      }));
      sendJson(
        res,
        200,
        completion(turnNumber, model, { content: turn.content ?? null, tool_calls: toolCalls }, 'tool_calls', usage),
      );
      return;
    }
    case 'text':
      sendJson(res, 200, completion(turnNumber, model, { content: turn.content }, 'stop', usage));
      return;
    case 'empty':
      sendJson(res, 200, { ...completion(turnNumber, model, { content: null }, 'stop', usage), choices: [] });
      return;
    case 'error':
    case 'hang':
      injectFault(res, turn, context.hangTimers);
      return;
  }
}
