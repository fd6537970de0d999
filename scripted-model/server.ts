/**
 * An OpenAI-compatible HTTP server that plays back a script of turns: tool
 * calls, text, errors, hangs, empty choices, reasoning, stream faults; over
 * Chat Completions and the Responses API, as JSON or server-sent events. Tests and the keyless demo point
 * the real `openai` client at it (see serve.ts to run it from a shell).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerTurn, type WireApi } from './answers';
import { checkExpectation } from './expectations';
import { estimateUsage, responsesMessages } from './messages';
import { modelList, sendError, sendJson } from './openai-wire';
import type { ScriptedTurn } from './script';

/** A model request (Chat Completions or Responses) as the server received it. */
export interface RecordedRequest {
  body: unknown;
  /** Which endpoint it went to. */
  api: WireApi;
  /** It asked for `stream: true`. */
  stream: boolean;
  /** The `store` field as sent (undefined when absent): a Responses client that retains nothing sends false. */
  store: unknown;
  /** The Responses input items (reasoning, messages, function calls and outputs) as sent; empty for chat. */
  inputItems: unknown[];
  /** The server-wide number of the turn that answered it (0 when none did); names its reasoning item. */
  turnNumber: number;
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
  /** The model requests received (both endpoints), in order. */
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

/** What one server keeps between requests. */
interface ServerState {
  script: ScriptedTurn[];
  requests: RecordedRequest[];
  failures: string[];
  hangTimers: Set<NodeJS.Timeout>;
  turnNumber: number;
  callNumber: number;
}

/** Starts a scripted OpenAI-compatible server on host (127.0.0.1) and port (any free one). */
export async function startScriptedModelServer(options: ScriptedModelServerOptions): Promise<ScriptedModelServer> {
  const state: ServerState = {
    script: [...options.script],
    requests: [],
    failures: [],
    hangTimers: new Set(),
    turnNumber: 0,
    callNumber: 0,
  };
  const server = http.createServer((req, res) => route(state, req, res));
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
  const { script, requests, failures, hangTimers } = state;
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
        for (const timer of hangTimers) clearTimeout(timer);
        hangTimers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Reads the whole request, then serves POST /v1/chat/completions, POST /v1/responses and GET /v1/models; anything else is a 404. */
function route(state: ServerState, req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const api: WireApi | undefined =
      path === '/v1/chat/completions' ? 'chat' : path === '/v1/responses' ? 'responses' : undefined;
    if (req.method === 'POST' && api) {
      handleModelRequest(state, api, req, res, Buffer.concat(chunks).toString('utf8'));
    } else if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, modelList());
    } else {
      sendError(res, 404, `no route for ${req.method} ${path}`);
    }
  });
}

/** Records the request and answers it with the next turn; what is wrong with the request or script is a failure. */
function handleModelRequest(
  state: ServerState,
  api: WireApi,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  raw: string,
): void {
  const body = parseObject(raw);
  if (!body) {
    state.failures.push('request body is not a JSON object');
    sendError(res, 400, 'request body is not a JSON object');
    return;
  }
  const inputItems = api === 'responses' && Array.isArray(body.input) ? (body.input as unknown[]) : [];
  const recorded: RecordedRequest = {
    body,
    api,
    stream: body.stream === true,
    store: body.store,
    inputItems,
    turnNumber: 0,
    headers: req.headers,
    receivedAt: Date.now(),
  };
  state.requests.push(recorded);
  res.on('close', () => {
    if (!res.writableEnded) recorded.abortedAt = Date.now();
  });
  const turn = state.script.shift();
  const turnNumber = ++state.turnNumber;
  recorded.turnNumber = turnNumber;
  if (!turn) {
    state.failures.push(`request ${turnNumber}: script exhausted`);
    sendError(res, 500, 'script exhausted');
    return;
  }
  const messages =
    api === 'responses'
      ? responsesMessages(body.input)
      : Array.isArray(body.messages)
        ? (body.messages as unknown[])
        : [];
  const unmet = checkExpectation(turn.expect, messages);
  if (unmet) {
    state.failures.push(`turn ${turnNumber} (${turn.type}): ${unmet}`);
    sendError(res, 400, `scripted server: ${unmet}`);
    return;
  }
  answerTurn(res, turn, {
    turnNumber,
    model: typeof body.model === 'string' ? body.model : 'scripted',
    usage: turn.usage ?? estimateUsage(messages, body.tools),
    nextCallId: () => `call_${++state.callNumber}`,
    hangTimers: state.hangTimers,
    api,
    stream: recorded.stream,
  });
}

function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
