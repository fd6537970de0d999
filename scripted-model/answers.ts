/** Plays one scripted turn as the answer to a model request, in the request's wire format, streamed or not. */
import type http from 'node:http';
import { injectFault } from './faults';
import { chatBody, chatSteps, sendJson } from './openai-wire';
import { planAnswer } from './planned-answer';
import { responseBody, responseSteps } from './responses-wire';
import type { ScriptedTurn, ScriptedUsage } from './script';
import { playSse } from './sse';

/** The wire formats the scripted server speaks. */
export type WireApi = 'chat' | 'responses';

/** What answering a turn needs besides the turn itself. */
export interface AnswerContext {
  /** 1-based number of the request being answered. */
  turnNumber: number;
  /** The model the request named ('scripted' when it named none). */
  model: string;
  usage: ScriptedUsage;
  /** A fresh tool call id, unique across the server's life. */
  nextCallId: () => string;
  /** Timers of hanging turns and paced streams, cleared when the server closes. */
  hangTimers: Set<NodeJS.Timeout>;
  /** Chat Completions or Responses. */
  api: WireApi;
  /** The request asked for `stream: true`. */
  stream: boolean;
}

/** Answers the request with the turn: a completion or response (JSON, or SSE when streamed) or a fault. */
export function answerTurn(res: http.ServerResponse, turn: ScriptedTurn, context: AnswerContext): void {
  if (turn.type === 'error' || turn.type === 'hang') {
    injectFault(res, turn, context.hangTimers);
    return;
  }
  const answer = planAnswer(turn, context);
  if (!context.stream) {
    sendJson(res, 200, context.api === 'chat' ? chatBody(answer) : responseBody(answer));
    return;
  }
  const steps = context.api === 'chat' ? chatSteps(answer) : responseSteps(answer);
  playSse(res, steps, turn.streamFault, context.hangTimers);
}
