/**
 * An OpenAI-compatible HTTP server that plays back a script of turns: tool
 * calls, text, errors, hangs, empty choices. Tests and the keyless demo point
 * the real `openai` client at it. Run directly it serves a JSON script:
 * `node dist/test/support/scripted-model-server.js --script file.json --port 0`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Token counts a turn reports; defaults are estimated from the request. */
export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** Checks on the request a turn answers; a failed check answers 400 and is recorded in `failures`. */
export interface ScriptedExpectation {
  lastMessageIncludes?: string;
  anyMessageIncludes?: string;
}

interface TurnCommon {
  usage?: ScriptedUsage;
  expect?: ScriptedExpectation;
}

/** One scripted tool call; object arguments are JSON-encoded, a string is sent raw (to script malformed JSON). */
export interface ScriptedCall {
  name: string;
  arguments: unknown;
}

/** One scripted answer to a chat completion request. */
export type ScriptedTurn =
  | (TurnCommon & { type: 'tool_calls'; calls: ScriptedCall[]; content?: string })
  | (TurnCommon & { type: 'text'; content: string })
  | (TurnCommon & { type: 'error'; status: number; retryAfterSeconds?: number; message?: string })
  /** Holds the request open; after `ms` the connection is dropped without an answer. */
  | (TurnCommon & { type: 'hang'; ms?: number })
  | (TurnCommon & { type: 'empty' });

/** A chat completion request as the server received it. */
export interface RecordedRequest {
  body: unknown;
  headers: http.IncomingHttpHeaders;
  /** Epoch milliseconds. */
  receivedAt: number;
  /** Epoch milliseconds at which the client closed the connection before an answer (an aborted request). */
  abortedAt?: number;
}

/** A running scripted server. */
export interface ScriptedModelServer {
  /** Base URL ending in /v1, for the client's baseURL. */
  url: string;
  /** The chat completion requests received, in order. */
  requests: RecordedRequest[];
  /** What went wrong: failed expectations, exhausted script, streaming or bad requests. */
  failures: string[];
  /** Turns not yet played. */
  remaining(): number;
  /** Appends turns to the script. */
  push(...turns: ScriptedTurn[]): void;
  /** Drops the turns not yet played. */
  clear(): void;
  /** Drops open connections (hanging turns included) and stops listening. */
  close(): Promise<void>;
}

/** Options of startScriptedModelServer. */
export interface ScriptedModelServerOptions {
  script: ScriptedTurn[];
  /** 0 (any free port) by default. */
  port?: number;
  host?: string;
}

const TURN_TYPES = new Set(['tool_calls', 'text', 'error', 'hang', 'empty']);

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

/** Starts a scripted OpenAI-compatible server on host (127.0.0.1) and port (any free one). */
export async function startScriptedModelServer(options: ScriptedModelServerOptions): Promise<ScriptedModelServer> {
  const script = [...options.script];
  const requests: RecordedRequest[] = [];
  const failures: string[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  let turnNumber = 0;
  let callNumber = 0;

  const handleChat = (req: http.IncomingMessage, res: http.ServerResponse, raw: string): void => {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      failures.push('request body is not a JSON object');
      sendError(res, 400, 'request body is not a JSON object');
      return;
    }
    const recorded: RecordedRequest = { body, headers: req.headers, receivedAt: Date.now() };
    requests.push(recorded);
    res.on('close', () => {
      if (!res.writableEnded) recorded.abortedAt = Date.now();
    });
    if (body.stream === true) {
      failures.push('client requested stream: true; the scripted server only answers non-streaming requests');
      sendError(res, 400, 'stream: true is not supported by the scripted server');
      return;
    }
    const turn = script.shift();
    turnNumber += 1;
    if (!turn) {
      failures.push(`request ${turnNumber}: script exhausted`);
      sendError(res, 500, 'script exhausted');
      return;
    }
    const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
    const unmet = checkExpectation(turn.expect, messages);
    if (unmet) {
      failures.push(`turn ${turnNumber} (${turn.type}): ${unmet}`);
      sendError(res, 400, `scripted server: ${unmet}`);
      return;
    }
    // Like a real endpoint, the tool definitions count as prompt tokens too.
    const toolChars = body.tools === undefined ? 0 : JSON.stringify(body.tools).length;
    const usage = turn.usage ?? { prompt_tokens: Math.ceil((messageChars(messages) + toolChars) / 4), completion_tokens: 20 };
    const model = typeof body.model === 'string' ? body.model : 'scripted';
    switch (turn.type) {
      case 'tool_calls': {
        const toolCalls = turn.calls.map((call) => ({
          id: `call_${++callNumber}`,
          type: 'function',
          function: {
            name: call.name,
            arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
          },
        }));
        sendJson(res, 200, completion(turnNumber, model, { content: turn.content ?? null, tool_calls: toolCalls }, 'tool_calls', usage));
        return;
      }
      case 'text':
        sendJson(res, 200, completion(turnNumber, model, { content: turn.content }, 'stop', usage));
        return;
      case 'empty':
        sendJson(res, 200, { ...completion(turnNumber, model, { content: null }, 'stop', usage), choices: [] });
        return;
      case 'error': {
        const headers: Record<string, string> = {};
        if (turn.retryAfterSeconds !== undefined) headers['retry-after'] = String(turn.retryAfterSeconds);
        sendError(res, turn.status, turn.message ?? DEFAULT_ERROR_MESSAGES[turn.status] ?? `HTTP ${turn.status}`, headers);
        return;
      }
      case 'hang': {
        if (turn.ms === undefined) return;
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          res.destroy();
        }, turn.ms);
        pendingTimers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          pendingTimers.delete(timer);
        });
        return;
      }
    }
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && path === '/v1/chat/completions') {
        handleChat(req, res, Buffer.concat(chunks).toString('utf8'));
      } else if (req.method === 'GET' && path === '/v1/models') {
        sendJson(res, 200, {
          object: 'list',
          data: [{ id: 'scripted', object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'drydock' }],
        });
      } else {
        sendError(res, 404, `no route for ${req.method} ${path}`);
      }
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    requests,
    failures,
    remaining: () => script.length,
    clear: () => {
      script.length = 0;
    },
    push: (...turns) => {
      script.push(...turns);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Reads a script: a JSON array of turns. */
export function loadScript(file: string): ScriptedTurn[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${file}: a script is a JSON array of turns`);
  parsed.forEach((turn: unknown, index) => {
    const type = (turn as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !TURN_TYPES.has(type)) {
      throw new Error(`${file}: turn ${index + 1} has type ${JSON.stringify(type)}; expected one of ${[...TURN_TYPES].join(', ')}`);
    }
  });
  return parsed as ScriptedTurn[];
}

function completion(
  turnNumber: number,
  model: string,
  message: { content: string | null; tool_calls?: unknown[] },
  finishReason: string,
  usage: ScriptedUsage,
): Record<string, unknown> {
  return {
    id: `chatcmpl-scripted-${turnNumber}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, finish_reason: finishReason, logprobs: null }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
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

function contentText(message: unknown): string {
  const content = (message as { content?: unknown } | null)?.content;
  if (typeof content === 'string') return content;
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

/** Characters of the messages' contents and tool call arguments: the basis of the prompt token estimate. */
function messageChars(messages: unknown[]): number {
  let chars = 0;
  for (const message of messages) {
    chars += contentText(message).length;
    const calls = (message as { tool_calls?: unknown } | null)?.tool_calls;
    if (Array.isArray(calls)) {
      for (const call of calls) {
        const args = (call as { function?: { arguments?: unknown } } | null)?.function?.arguments;
        if (typeof args === 'string') chars += args.length;
      }
    }
  }
  return chars;
}

function checkExpectation(expect: ScriptedExpectation | undefined, messages: unknown[]): string | undefined {
  if (expect?.lastMessageIncludes !== undefined) {
    const last = contentText(messages[messages.length - 1]);
    if (!last.includes(expect.lastMessageIncludes)) {
      return `expected the last message to include ${JSON.stringify(expect.lastMessageIncludes)}, got ${JSON.stringify(last.slice(0, 200))}`;
    }
  }
  if (expect?.anyMessageIncludes !== undefined) {
    const needle = expect.anyMessageIncludes;
    if (!messages.some((m) => contentText(m).includes(needle))) {
      return `expected a message to include ${JSON.stringify(needle)}; none of ${messages.length} messages does`;
    }
  }
  return undefined;
}

function argValue(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const scriptFile = argValue(argv, '--script');
  if (!scriptFile) throw new Error('usage: scripted-model-server --script file.json [--port 0] [--host 127.0.0.1]');
  const port = Number(argValue(argv, '--port') ?? '0');
  const server = await startScriptedModelServer({ script: loadScript(scriptFile), port, host: argValue(argv, '--host') });
  process.stdout.write(`listening ${server.url}\n`);
  const stop = (): void => {
    for (const failure of server.failures) process.stderr.write(`scripted-model-server: ${failure}\n`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`scripted-model-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
