/** ModelCallError, its classification from openai SDK errors, its failure type, and Retry-After. */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { FailureType } from '../../workflows/failures';
import { redactSecrets } from '../security/redact';

/** Why a model call failed; decides whether Temporal should retry it. */
export type ModelErrorKind =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'idle'
  | 'bad_request'
  | 'context_too_long'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'malformed_response'
  | 'aborted';

/** Fields of a ModelCallError besides its message. */
export interface ModelCallErrorDetails {
  kind: ModelErrorKind;
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
}

/** Thrown when a model call fails; the message is one line with secrets redacted. */
export class ModelCallError extends Error {
  readonly kind: ModelErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(message: string, details: ModelCallErrorDetails) {
    super(oneLine(redactModelText(message)));
    this.name = 'ModelCallError';
    this.kind = details.kind;
    this.retryable = details.retryable;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/** The failure type of each kind of model error (see workflows/failures.ts). */
export const MODEL_FAILURE_TYPES: Readonly<Record<ModelErrorKind, FailureType>> = {
  rate_limited: 'ModelRateLimited',
  server_error: 'ModelServerError',
  timeout: 'ModelTimeout',
  connection: 'ModelConnection',
  idle: 'ModelIdle',
  bad_request: 'ModelBadRequest',
  context_too_long: 'ModelContextTooLong',
  unauthorized: 'ModelUnauthorized',
  forbidden: 'ModelForbidden',
  not_found: 'ModelNotFound',
  malformed_response: 'ModelMalformedResponse',
  aborted: 'ModelAborted',
};

const MAX_MESSAGE_CHARS = 500;

/** Replaces the given secrets, token shapes and short keys (LiteLLM's `sk-1234`, any Bearer credential) with `[redacted]`. */
function redactModelText(text: string, secrets: readonly string[] = []): string {
  return redactSecrets(text, { secrets, shortKeys: true, marker: '[redacted]' });
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS - 1)}…` : flat;
}

/** Reads `retry-after-ms`, else `Retry-After` (seconds or an HTTP-date) in milliseconds; undefined when absent or unparseable. */
export function parseRetryAfterMs(
  headers: { get(name: string): string | null | undefined } | undefined,
  now: number = Date.now(),
): number | undefined {
  const ms = headers?.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const CONTEXT_TOO_LONG =
  /maximum context length|context_length_exceeded|context length|context window|context size|too many tokens|prompt is too long/i;

/** Maps any error from a model call (an openai SDK error or other) to a ModelCallError, redacting keys and the given secrets. */
export function classifyModelError(err: unknown, secrets: readonly string[] = []): ModelCallError {
  if (err instanceof ModelCallError) return err;
  const make = (
    kind: ModelErrorKind,
    retryable: boolean,
    detail: string,
    extra: { status?: number; retryAfterMs?: number } = {},
  ): ModelCallError => {
    const status = extra.status !== undefined ? ` (HTTP ${extra.status})` : '';
    const retry = extra.retryAfterMs !== undefined ? `; retry after ${extra.retryAfterMs} ms` : '';
    const message = `model call failed: ${kind}${status}: ${detail}${retry}`;
    return new ModelCallError(redactModelText(message, secrets), { kind, retryable, ...extra });
  };
  // APIConnectionTimeoutError extends APIConnectionError, so it is tested first.
  if (err instanceof APIUserAbortError) return make('aborted', false, 'the request was aborted');
  if (err instanceof APIConnectionTimeoutError) return make('timeout', true, 'the request timed out');
  if (err instanceof APIConnectionError) return make('connection', true, causeChain(err));
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const detail = err.message.replace(/^\d{3}\s+/, '') || 'no error body';
    const retryAfterMs = parseRetryAfterMs(err.headers);
    const withStatus = { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (status === 429) {
      // A spent quota answers 429 too, but waiting does not refill it.
      const quota = err.code === 'insufficient_quota';
      return make('rate_limited', !quota, detail, withStatus);
    }
    if (status >= 500) return make('server_error', true, detail, withStatus);
    if (status === 408) return make('timeout', true, detail, withStatus);
    // OpenAI answers 409 on lock timeouts; its own SDK retries them.
    if (status === 409) return make('server_error', true, detail, withStatus);
    const contextTooLong = CONTEXT_TOO_LONG.test(detail) || err.code === 'context_length_exceeded';
    if (status === 413 || ((status === 400 || status === 422) && contextTooLong)) {
      return make('context_too_long', false, detail, withStatus);
    }
    if (status === 401) return make('unauthorized', false, detail, withStatus);
    if (status === 403) return make('forbidden', false, detail, withStatus);
    if (status === 404) return make('not_found', false, detail, withStatus);
    return make('bad_request', false, detail, withStatus);
  }
  if (isNamed(err, 'TimeoutError')) return make('timeout', true, 'the request timed out');
  if (isNamed(err, 'AbortError')) return make('aborted', false, 'the request was aborted');
  // undici's error when the connection drops while the body (a stream) is read.
  if (isNamed(err, 'TypeError') && (err as Error).message === 'terminated') {
    return make('connection', true, `the connection dropped mid-answer: ${causeChain(err as Error)}`);
  }
  // What remains failed while reading or mapping a 2xx response (bad JSON, an unexpected shape).
  const message = (err as { message?: unknown } | null)?.message;
  return make('malformed_response', true, typeof message === 'string' ? message : String(err));
}

function isNamed(err: unknown, name: string): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name;
}

/** The innermost messages of an error's cause chain, e.g. "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
function causeChain(err: Error): string {
  const parts: string[] = [];
  let current: unknown = err.cause;
  // Duck-typed: undici's errors may come from another realm (e.g. under jest), where instanceof Error fails.
  while (typeof current === 'object' && current !== null && parts.length < 4) {
    const { message, code, cause } = current as { message?: unknown; code?: unknown; cause?: unknown };
    if (typeof message === 'string' && message) parts.push(message);
    else if (typeof code === 'string') parts.push(code);
    current = cause;
  }
  return parts.length > 0 ? parts.join(': ') : err.message;
}
