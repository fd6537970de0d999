/**
 * A scripted OpenAI-compatible model for placement tests: each goal (its key in
 * the base URL's path) makes a note, then its second call is held until the test
 * releases the goal, then it fixes the demo repository and finishes. A held goal
 * keeps its sandbox, so a test can look at where the sandboxes are.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendChatAnswer, type BenchCompletion } from '../../bench/chat-wire';

const FIX =
  '--- a/src/math.js\n+++ b/src/math.js\n@@ -2,5 +2,5 @@\n \n /** Adds two numbers. */\n function add(a, b) {\n-  return a - b;\n+  return a + b;\n }\n';

/** A running gated model. */
export interface GatedModel {
  /** The base URL of one goal. */
  urlFor(goalKey: string): string;
  /** Lets a goal's held call answer (now, or as soon as it comes). */
  release(goalKey: string): void;
  /** Releases every goal, now and later. */
  releaseAll(): void;
  close(): Promise<void>;
}

/** Starts the model on a free port. */
export async function startGatedModel(): Promise<GatedModel> {
  const released = new Set<string>();
  let all = false;
  const waiting = new Map<string, (() => void)[]>();
  const gate = (key: string) =>
    all || released.has(key)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiting.set(key, [...(waiting.get(key) ?? []), resolve]));
  const open = (key: string) => {
    released.add(key);
    for (const resolve of waiting.get(key) ?? []) resolve();
    waiting.delete(key);
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const match = /^\/g\/([^/]+)\/v1\/chat\/completions$/.exec(req.url ?? '');
      if (!match || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const key = decodeURIComponent(match[1]!);
      const request = JSON.parse(body) as { messages?: { role: string }[]; stream?: boolean };
      const step = (request.messages ?? []).filter((m) => m.role === 'assistant').length;
      const calls = [
        [{ name: 'shell', arguments: { command: `printf 'goal ${key}\\n' > notes.txt` } }],
        [{ name: 'apply_patch', arguments: { patch: FIX } }],
        [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
      ][Math.min(step, 2)]!;
      const answer: BenchCompletion = {
        id: `chatcmpl-${key}-${step}`,
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
      void (step === 1 ? gate(key) : Promise.resolve()).then(() =>
        sendChatAnswer(res, request.stream === true, answer),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    urlFor: (key) => `http://127.0.0.1:${port}/g/${encodeURIComponent(key)}/v1`,
    release: open,
    releaseAll() {
      all = true;
      for (const key of [...waiting.keys()]) open(key);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
