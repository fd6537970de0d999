/** Fault injection: the turns that answer with an HTTP error or hold the request open. */
import type http from 'node:http';
import { sendError } from './openai-wire';
import type { ScriptedFault } from './script';

const DEFAULT_ERROR_MESSAGES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Incorrect API key provided',
  403: 'You are not allowed to access this resource',
  404: 'The model does not exist',
  429: 'Rate limit reached for requests',
  500: 'The server had an error while processing your request',
  502: 'Bad gateway',
  503: 'The engine is currently overloaded',
};

/**
 * Plays a fault: an error answers with its status (the API's usual message
 * unless scripted, Retry-After when given); a hang answers nothing and, after
 * `ms`, drops the connection. Hang timers live in `timers` so that closing the
 * server can clear them.
 */
export function injectFault(res: http.ServerResponse, turn: ScriptedFault, timers: Set<NodeJS.Timeout>): void {
  if (turn.type === 'error') {
    const headers: Record<string, string> = {};
    if (turn.retryAfterSeconds !== undefined) headers['retry-after'] = String(turn.retryAfterSeconds);
    sendError(res, turn.status, turn.message ?? DEFAULT_ERROR_MESSAGES[turn.status] ?? `HTTP ${turn.status}`, headers);
    return;
  }
  if (turn.ms === undefined) return;
  const timer = setTimeout(() => {
    timers.delete(timer);
    res.destroy();
  }, turn.ms);
  timers.add(timer);
  res.on('close', () => {
    clearTimeout(timer);
    timers.delete(timer);
  });
}
