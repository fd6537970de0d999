/** The OpenAI Chat Completions wire format: completion bodies and error bodies as the real API sends them. */
import type http from 'node:http';
import type { PlannedAnswer, PlannedCall } from './planned-answer';
import type { ScriptedUsage } from './script';
import type { SseStep } from './sse';

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
    usage: chatUsage(usage),
  };
}

/** Chat Completions usage, with the cached and reasoning details when the turn reports them. */
export function chatUsage(usage: ScriptedUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    ...(usage.cached_tokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cached_tokens } } : {}),
    ...(usage.reasoning_tokens !== undefined
      ? { completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens } }
      : {}),
  };
}

/** The chat.completion body of a planned answer (no choices for an `empty` turn). */
export function chatBody(answer: PlannedAnswer): Record<string, unknown> {
  const body = completion(
    answer.turnNumber,
    answer.model,
    {
      content: answer.text,
      ...(answer.calls.length > 0 ? { tool_calls: answer.calls.map(chatToolCall) } : {}),
    },
    answer.finishReason,
    answer.usage,
  );
  return answer.empty ? { ...body, choices: [] } : body;
}

function chatToolCall(call: PlannedCall): Record<string, unknown> {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/**
 * A planned answer as chat.completion.chunk events: reasoning deltas
 * (`reasoning_content`, as vLLM and others send them) one per gap, the text
 * in two pieces, each tool call with its arguments split in two, the finish
 * chunk, the usage chunk (`stream_options.include_usage`) and `[DONE]`.
 */
export function chatSteps(answer: PlannedAnswer): SseStep[] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): SseStep => ({
    data: JSON.stringify({
      id: `chatcmpl-scripted-${answer.turnNumber}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: answer.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    }),
  });
  const steps: SseStep[] = [chunk({ role: 'assistant', content: '' })];
  for (let i = 0; i < answer.reasoningEvents; i++) {
    steps.push({ ...chunk({ reasoning_content: 'thinking… ' }), delayMs: answer.reasoningEveryMs });
  }
  if (!answer.empty) {
    for (const piece of halves(answer.text ?? '')) if (piece) steps.push(chunk({ content: piece }));
    answer.calls.forEach((call, index) => {
      const [head, tail] = halves(call.arguments);
      steps.push(
        chunk({
          tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: head } }],
        }),
      );
      steps.push(chunk({ tool_calls: [{ index, function: { arguments: tail } }] }));
    });
    steps.push(chunk({}, answer.finishReason));
  }
  steps.push({
    data: JSON.stringify({
      id: `chatcmpl-scripted-${answer.turnNumber}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: answer.model,
      choices: [],
      usage: chatUsage(answer.usage),
    }),
  });
  steps.push({ data: '[DONE]' });
  return steps;
}

/** A string cut in two at its middle (so that clients must join the pieces). */
export function halves(text: string): [string, string] {
  const middle = Math.floor(text.length / 2);
  return [text.slice(0, middle), text.slice(middle)];
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
