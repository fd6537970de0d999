/**
 * The chaos run's model: an OpenAI-compatible HTTP server that answers by the
 * step a request is at (the number of assistant messages it carries), so that a
 * model call repeated after a crash gets the same answer, and that counts the
 * requests per goal and step (a repeated call shows as a count above one).
 */
import http from 'node:http';
import { sendChatAnswer, type BenchCompletion } from './chat-wire';
import type { AddressInfo } from 'node:net';

/** One tool call of a step. */
export interface ChaosCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** A running chaos model. */
export interface ChaosModel {
  /** Base URL of one goal (its key is in the path, so requests are counted per goal). */
  urlFor(goalKey: string): string;
  /** Requests received per goal key and step. */
  counts: Map<string, number[]>;
  close(): Promise<void>;
}

/** Starts the model; `steps` are the tool calls of each step, the same for every goal. */
export async function startChaosModel(steps: (goalKey: string) => ChaosCall[][]): Promise<ChaosModel> {
  const counts = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const match = /^\/g\/([^/]+)\/v1\/chat\/completions$/.exec(req.url ?? '');
      if (!match || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const goalKey = decodeURIComponent(match[1]!);
      const request = JSON.parse(body) as { messages?: { role: string }[]; stream?: boolean };
      const messages = request.messages ?? [];
      const step = messages.filter((m) => m.role === 'assistant').length;
      const perStep = counts.get(goalKey) ?? [];
      perStep[step] = (perStep[step] ?? 0) + 1;
      counts.set(goalKey, perStep);
      const calls = steps(goalKey)[step] ?? [{ name: 'finish', arguments: { summary: 'done', rationale: 'done' } }];
      const answer: BenchCompletion = {
        id: `chatcmpl-${goalKey}-${step}`,
        object: 'chat.completion',
        created: 0,
        model: 'scripted',
        choices: [
          {
            index: 0,
            finish_reason: 'tool_calls',
            message: {
              role: 'assistant',
              content: null,
              tool_calls: calls.map((c, i) => ({
                id: `call_${step}_${i}`,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.arguments) },
              })),
            },
          },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
      };
      sendChatAnswer(res, request.stream === true, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    urlFor: (goalKey) => `http://127.0.0.1:${port}/g/${encodeURIComponent(goalKey)}/v1`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
