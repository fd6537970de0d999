/**
 * An HTTP proxy in front of the scripted model server that makes it count
 * prompt tokens like a real tokenizer counts JSON: the scripted server counts
 * about 4 characters a token; the proxy scales every reported prompt count
 * (Chat Completions `prompt_tokens`, Responses `input_tokens`, in JSON answers
 * and in server-sent events alike) to `charsPerToken`. Real HTTP both ways.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The running proxy. */
export interface TokenCountingProxy {
  /** The base URL to give the worker (`…/v1`). */
  url: string;
  /** The prompt tokens reported to drydock, one per answer. */
  reported: number[];
  close(): Promise<void>;
}

/** Starts the proxy; `target()` is the scripted server's base URL (read per request). */
export async function startTokenCountingProxy(
  target: () => string,
  charsPerToken: number,
): Promise<TokenCountingProxy> {
  const scale = 4 / charsPerToken;
  const reported: number[] = [];
  const rescale = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const o = value as Record<string, unknown>;
    for (const [prompt, total, completion] of [
      ['prompt_tokens', 'total_tokens', 'completion_tokens'],
      ['input_tokens', 'total_tokens', 'output_tokens'],
    ] as const) {
      if (typeof o[prompt] === 'number' && typeof o[completion] === 'number') {
        o[prompt] = Math.ceil((o[prompt] as number) * scale);
        o[total] = (o[prompt] as number) + (o[completion] as number);
        reported.push(o[prompt] as number);
        return;
      }
    }
    for (const child of Object.values(o)) rescale(child);
  };
  const rewriteJson = (text: string): string => {
    try {
      const parsed: unknown = JSON.parse(text);
      rescale(parsed);
      return JSON.stringify(parsed);
    } catch {
      return text;
    }
  };
  const server = http.createServer((req, res) => {
    const base = new URL(target());
    const upstream = http.request(
      { host: base.hostname, port: base.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        delete headers['content-length'];
        res.writeHead(answer.statusCode ?? 502, headers);
        const sse = String(answer.headers['content-type'] ?? '').includes('text/event-stream');
        let pending = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          if (!sse) {
            pending += chunk;
            return;
          }
          // Events pass through as they come, one line at a time; a `data:` line's JSON is rescaled.
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          res.write(
            lines.map((l) => (l.startsWith('data: ') ? `data: ${rewriteJson(l.slice(6))}` : l)).join('\n') + '\n',
          );
        });
        answer.on('end', () => res.end(sse ? pending : rewriteJson(pending)));
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    reported,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
