import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import {
  MODEL_FAILURE_TYPES,
  ModelCallError,
  classifyModelError,
  parseRetryAfterMs,
  type ModelErrorKind,
} from '../../activities/model/errors';
import { FAILURES } from '../../workflows/failures';

function apiError(status: number, message: string, headers: Record<string, string> = {}, code?: string): APIError {
  return APIError.generate(
    status,
    { error: { message, type: 'x', code: code ?? null } },
    undefined,
    new Headers(headers),
  );
}

describe('classifyModelError', () => {
  it.each([
    [429, 'Rate limit reached', 'rate_limited', true],
    [500, 'internal', 'server_error', true],
    [502, 'bad gateway', 'server_error', true],
    [503, 'overloaded', 'server_error', true],
    [408, 'request timeout', 'timeout', true],
    [400, 'Invalid value for tools', 'bad_request', false],
    [401, 'Incorrect API key provided', 'unauthorized', false],
    [403, 'forbidden', 'forbidden', false],
    [404, 'The model does not exist', 'not_found', false],
    [422, 'unprocessable', 'bad_request', false],
    [400, "This model's maximum context length is 8192 tokens", 'context_too_long', false],
    [413, 'payload too large', 'context_too_long', false],
  ] as const)('HTTP %i %j → %s (retryable %s)', (status, message, kind, retryable) => {
    const err = classifyModelError(apiError(status, message));
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ status, kind, retryable });
    expect(err.message).toContain(message);
    expect(err.message).toContain(`HTTP ${status}`);
  });

  it('reads Retry-After seconds on a 429', () => {
    const err = classifyModelError(apiError(429, 'slow down', { 'retry-after': '7' }));
    expect(err).toMatchObject({ kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 });
    expect(err.message).toContain('retry after 7000 ms');
  });

  it('prefers retry-after-ms', () => {
    const err = classifyModelError(apiError(429, 'slow down', { 'retry-after': '7', 'retry-after-ms': '250' }));
    expect(err.retryAfterMs).toBe(250);
  });

  it('treats an exhausted quota as not retryable', () => {
    const err = classifyModelError(apiError(429, 'You exceeded your current quota', {}, 'insufficient_quota'));
    expect(err).toMatchObject({ kind: 'rate_limited', retryable: false });
  });

  it('classifies a context_length_exceeded code without the usual wording', () => {
    expect(classifyModelError(apiError(400, 'too big', {}, 'context_length_exceeded')).kind).toBe('context_too_long');
  });

  it('maps the SDK connection, timeout and abort errors', () => {
    const refused = new APIConnectionError({
      cause: new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }),
    });
    expect(classifyModelError(refused)).toMatchObject({ kind: 'connection', retryable: true });
    expect(classifyModelError(refused).message).toContain('ECONNREFUSED');
    expect(classifyModelError(new APIConnectionTimeoutError())).toMatchObject({ kind: 'timeout', retryable: true });
    expect(classifyModelError(new APIUserAbortError())).toMatchObject({ kind: 'aborted', retryable: false });
    expect(classifyModelError(new SyntaxError('Unexpected token < in JSON'))).toMatchObject({
      kind: 'malformed_response',
      retryable: true,
    });
  });

  it('returns a ModelCallError unchanged', () => {
    const original = new ModelCallError('x', { kind: 'malformed_response', retryable: true });
    expect(classifyModelError(original)).toBe(original);
  });

  it('never carries an API key or a Bearer token in the message', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const err = classifyModelError(
      apiError(401, `Incorrect API key provided: ${key}. Header was Authorization: Bearer ${key}\nsecond line`),
    );
    expect(err.message).not.toContain('abcdefghijklmnop');
    expect(err.message).toContain('[redacted]');
    expect(err.message).not.toContain('\n');
  });

  it('redacts the given secrets even when they do not look like keys', () => {
    const azureKey = '0123456789abcdef0123456789abcdef';
    const err = classifyModelError(apiError(401, `bad key ${azureKey}`), [azureKey]);
    expect(err.message).not.toContain(azureKey);
  });
});

describe('model failure types', () => {
  it('redacts short sk- keys (LiteLLM) and any Bearer token in the message but keeps ordinary text', () => {
    expect(
      new ModelCallError('key sk-abc123def456 and Bearer eyJhbGciOi.x.y here', {
        kind: 'bad_request',
        retryable: false,
      }).message,
    ).toBe('key [redacted] and Bearer [redacted] here');
    expect(new ModelCallError('task-list is fine', { kind: 'bad_request', retryable: false }).message).toBe(
      'task-list is fine',
    );
  });

  it('classifies a connection that drops mid-stream (undici "terminated") as a retryable connection error', () => {
    const err = Object.assign(new TypeError('terminated'), { cause: new Error('other side closed') });
    expect(classifyModelError(err)).toMatchObject({ kind: 'connection', retryable: true });
    expect(classifyModelError(err).message).toContain('other side closed');
  });

  it('every kind has a catalogued failure type whose retryability is what the classifier says (but a spent quota)', () => {
    const kinds = Object.keys(MODEL_FAILURE_TYPES) as ModelErrorKind[];
    expect(kinds).toHaveLength(12);
    const retryable: Record<string, boolean> = {
      rate_limited: classifyModelError(apiError(429, 'slow down')).retryable,
      server_error: classifyModelError(apiError(500, 'x')).retryable,
      timeout: classifyModelError(new APIConnectionTimeoutError()).retryable,
      connection: classifyModelError(new APIConnectionError({ message: 'x' })).retryable,
      bad_request: classifyModelError(apiError(400, 'x')).retryable,
      context_too_long: classifyModelError(apiError(413, 'x')).retryable,
      unauthorized: classifyModelError(apiError(401, 'x')).retryable,
      forbidden: classifyModelError(apiError(403, 'x')).retryable,
      not_found: classifyModelError(apiError(404, 'x')).retryable,
      malformed_response: classifyModelError(new SyntaxError('x')).retryable,
      aborted: classifyModelError(new APIUserAbortError()).retryable,
      // A silent stream (CallLimits' idle cut, test/integration/model-streaming.test.ts) is retried.
      idle: true,
    };
    for (const kind of kinds)
      expect([kind, FAILURES[MODEL_FAILURE_TYPES[kind]].retryable]).toEqual([kind, retryable[kind]]);
    expect(MODEL_FAILURE_TYPES.unauthorized).toBe('ModelUnauthorized');
  });
});

describe('parseRetryAfterMs', () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it('parses seconds, fractions, HTTP-dates and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs(headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfterMs(headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now)).toBe(30000);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': '1500' }), now)).toBe(1500);
  });
  it('is undefined when absent or unparseable', () => {
    expect(parseRetryAfterMs(headers({}))).toBeUndefined();
    expect(parseRetryAfterMs(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
  });
});
