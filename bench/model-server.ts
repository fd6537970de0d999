/**
 * A stateless OpenAI-compatible server for the bench: the reply to a request is
 * turn number (assistant messages so far) of a fixed script, so any number of
 * goals can run at once against one server. No think time.
 */
import http from 'node:http';
import { sendChatAnswer } from './chat-wire';
import type { AddressInfo } from 'node:net';

/** One tool call of a bench turn. */
export interface BenchCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** A running bench model server. */
export interface BenchModelServer {
  url: string;
  /** Requests answered. */
  requests(): number;
  close(): Promise<void>;
}

/** Starts the server; `scriptFor` picks the script from the goal text (the second message). */
export async function startBenchModelServer(scriptFor: (goal: string) => BenchCall[][]): Promise<BenchModelServer> {
  let answered = 0;
  let callNumber = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/chat/completions')) {
        send(404, { error: { message: 'no route', type: 'invalid_request_error' } });
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        messages: { role: string; content?: unknown }[];
        model?: string;
        stream?: boolean;
      };
      const goal = String(body.messages[1]?.content ?? '');
      const turn = body.messages.filter((m) => m.role === 'assistant').length;
      const script = scriptFor(goal);
      const calls = script[Math.min(turn, script.length - 1)] ?? [];
      answered++;
      sendChatAnswer(res, body.stream === true, {
        id: `chatcmpl-bench-${answered}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'bench',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: calls.map((c) => ({
                id: `call_${++callNumber}`,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.arguments) },
              })),
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
