/** The OpenAI Chat Completions wire format: completion bodies and error bodies as the real API sends them. */
import type http from 'node:http';
import type { ScriptedUsage } from './script';

/** The assistant message of a completion. */
export interface CompletionMessage {
  content: string | null;
  tool_calls?: unknown[];
}

/** A chat.completion body with one choice (its usage totalled). */
export function completion(
  turnNumber: number,
  model: string,
  message: CompletionMessage,
  finishReason: string,
  usage: ScriptedUsage,
): Record<string, unknown> {
  return {
    id: `chatcmpl-scripted-${turnNumber}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', refusal: null, ...message },
        finish_reason: finishReason,
        logprobs: null,
      },
    ],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** The GET /v1/models body: the one model the scripted server offers. */
export function modelList(): Record<string, unknown> {
  return {
    object: 'list',
    data: [{ id: 'scripted', object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'drydock' }],
  };
}

/** Answers with a JSON body. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers with an OpenAI error body (message, type, code) for the status. */
export function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type: errorType(status), code: errorCode(status, message) } }, headers);
}

function errorType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function errorCode(status: number, message: string): string | null {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 401) return 'invalid_api_key';
  if (status === 404) return 'model_not_found';
  if (status === 400 && /maximum context length/i.test(message)) return 'context_length_exceeded';
  return null;
}
