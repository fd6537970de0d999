/**
 * Sends a Chat Completions answer the way the client asked for it: one JSON
 * body, or (`stream: true`, what drydock's client sends) the same answer as
 * server-sent events — one chunk with the message, one with the finish
 * reason, one with the usage, then `[DONE]`.
 */
import type http from 'node:http';

/** A completed chat answer as the bench servers build it. */
export interface BenchCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    finish_reason: string;
    message: {
      role: 'assistant';
      content: string | null;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
    };
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** Writes the answer as JSON, or as a stream when the request asked for one. */
export function sendChatAnswer(res: http.ServerResponse, stream: boolean, answer: BenchCompletion): void {
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    return;
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: answer.id, object: 'chat.completion.chunk', created: answer.created, model: answer.model, choices, ...extra })}\n\n`;
  const choice = answer.choices[0];
  const message = choice?.message;
  const delta = {
    role: 'assistant',
    content: message?.content ?? null,
    ...(message?.tool_calls ? { tool_calls: message.tool_calls.map((c, index) => ({ index, ...c })) } : {}),
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk([{ index: 0, delta, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: choice?.finish_reason ?? 'stop' }]));
  res.write(chunk([], { usage: answer.usage }));
  res.end('data: [DONE]\n\n');
}
