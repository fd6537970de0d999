import { ModelCallError } from '../../activities/model/errors';
import type { ChatMessage, ToolDefinition } from '../../activities/model/model-client';
import { OpenAIModelClient } from '../../activities/model/openai-client';
import { type ScriptedModelServer, type ScriptedTurn, startScriptedModelServer } from '../../scripted-model';

const API_KEY = 'sk-test-0123456789abcdefghijklmnop';

const TOOLS: ToolDefinition[] = [
  {
    name: 'read_file',
    description: 'Read a file of the repository.',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
];

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are a coding agent.' },
  { role: 'user', content: 'Fix the failing test in src/sum.ts.' },
];

let server: ScriptedModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(script: ScriptedTurn[]): Promise<{ server: ScriptedModelServer; client: OpenAIModelClient }> {
  server = await startScriptedModelServer({ script });
  return { server, client: new OpenAIModelClient({ apiKey: API_KEY, baseUrl: server.url }) };
}

async function failure(promise: Promise<unknown>): Promise<ModelCallError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ModelCallError);
    return err as ModelCallError;
  }
  throw new Error('expected the call to fail');
}

describe('OpenAIModelClient against the scripted server', () => {
  it('round-trips a tool call with its arguments and usage; the server saw tools and messages', async () => {
    const { server, client } = await setup([
      {
        type: 'tool_calls',
        calls: [{ name: 'read_file', arguments: { path: 'src/sum.ts' } }],
        usage: { prompt_tokens: 120, completion_tokens: 15 },
      },
    ]);
    const completion = await client.complete(MESSAGES, TOOLS, { model: 'scripted', timeoutMs: 5000 });

    expect(completion.finishReason).toBe('tool_calls');
    expect(completion.usage).toEqual({ promptTokens: 120, completionTokens: 15, totalTokens: 135 });
    expect(completion.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/sum.ts"}' } },
    ]);
    expect(JSON.parse(completion.message.tool_calls?.[0]?.function.arguments ?? '')).toEqual({ path: 'src/sum.ts' });

    expect(server.requests).toHaveLength(1);
    const seen = server.requests[0];
    expect(seen?.body).toMatchObject({
      model: 'scripted',
      messages: MESSAGES,
      tools: [
        {
          type: 'function',
          function: { name: 'read_file', description: TOOLS[0]?.description, parameters: TOOLS[0]?.parameters },
        },
      ],
    });
    // Streamed by default, with usage in the final chunk.
    expect(seen?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(seen?.stream).toBe(true);
    expect(seen?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(typeof seen?.receivedAt).toBe('number');
    expect(server.remaining()).toBe(0);
    expect(server.failures).toEqual([]);
  });

  it('returns a text turn without tool calls, with estimated usage by default', async () => {
    const { server, client } = await setup([{ type: 'text', content: 'All checks pass.' }]);
    const completion = await client.complete(MESSAGES, TOOLS, { model: 'scripted' });

    expect(completion.message).toEqual({ role: 'assistant', content: 'All checks pass.' });
    expect(completion.finishReason).toBe('stop');
    // The estimate counts the messages and, like a real endpoint, the tool definitions sent.
    const sentTools = JSON.stringify((server.requests[0]?.body as { tools: unknown }).tools).length;
    const chars = MESSAGES.reduce((n, m) => n + m.content!.length, 0) + sentTools;
    expect(completion.usage).toEqual({
      promptTokens: Math.ceil(chars / 4),
      completionTokens: 20,
      totalTokens: Math.ceil(chars / 4) + 20,
    });
    expect(server.failures).toEqual([]);
  });

  it('sends a follow-up conversation with assistant tool calls and tool results', async () => {
    const { server, client } = await setup([
      { type: 'tool_calls', calls: [{ name: 'read_file', arguments: { path: 'a.ts' } }] },
      { type: 'text', content: 'done', expect: { lastMessageIncludes: 'export const a' } },
    ]);
    const first = await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
    const call = first.message.tool_calls?.[0];
    const conversation: ChatMessage[] = [
      ...MESSAGES,
      first.message,
      { role: 'tool', tool_call_id: call?.id ?? '', content: 'export const a = 1;' },
    ];
    const second = await client.complete(conversation, TOOLS, { model: 'scripted' });

    expect(second.message.content).toBe('done');
    expect(server.requests[1]?.body).toMatchObject({ messages: conversation });
    expect(server.failures).toEqual([]);
  });

  it('passes malformed tool arguments through as the raw string', async () => {
    const { client } = await setup([
      { type: 'tool_calls', calls: [{ name: 'read_file', arguments: '{"path": "src/' }] },
    ]);
    const completion = await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
    expect(completion.message.tool_calls?.[0]?.function.arguments).toBe('{"path": "src/');
  });

  it('maps a 429 with Retry-After to a retryable rate_limited error', async () => {
    const { client } = await setup([{ type: 'error', status: 429, retryAfterSeconds: 3 }]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 3000 });
    expect(err.message).toContain('Rate limit reached');
  });

  it('maps a 500 to a retryable server_error, once: the SDK does not retry', async () => {
    const { server, client } = await setup([
      { type: 'error', status: 500 },
      { type: 'text', content: 'unused' },
    ]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'server_error', retryable: true, status: 500 });
    expect(server.requests).toHaveLength(1);
    expect(server.remaining()).toBe(1);
  });

  it('maps a 401 to a non-retryable unauthorized error without the key', async () => {
    const { client } = await setup([
      { type: 'error', status: 401, message: `Incorrect API key provided: ${API_KEY}.` },
    ]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'unauthorized', retryable: false, status: 401 });
    expect(err.message).not.toContain(API_KEY);
    expect(err.message).not.toContain('0123456789abcdef');
  });

  it('maps a context length 400 to context_too_long', async () => {
    const { client } = await setup([
      {
        type: 'error',
        status: 400,
        message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
      },
    ]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'context_too_long', retryable: false, status: 400 });
  });

  it('times out a hanging turn after timeoutMs', async () => {
    const { client } = await setup([{ type: 'hang' }]);
    const started = Date.now();
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted', timeoutMs: 500 }));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('aborts via the AbortSignal', async () => {
    const { client } = await setup([{ type: 'hang' }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const err = await failure(
      client.complete(MESSAGES, TOOLS, { model: 'scripted', signal: controller.signal, timeoutMs: 10_000 }),
    );
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('refuses a call whose signal is already aborted without sending it', async () => {
    const { server, client } = await setup([{ type: 'text', content: 'unused' }]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted', signal: AbortSignal.abort() }));
    expect(err.kind).toBe('aborted');
    expect(server.requests).toHaveLength(0);
  });

  it('maps a dropped connection (hang with ms) to a retryable connection error', async () => {
    const { client } = await setup([{ type: 'hang', ms: 100 }]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted', timeoutMs: 5000 }));
    expect(err).toMatchObject({ kind: 'connection', retryable: true });
  });

  it('maps a refused connection to a retryable connection error', async () => {
    const { server: closed } = await setup([]);
    await closed.close();
    server = undefined;
    const client = new OpenAIModelClient({ apiKey: API_KEY, baseUrl: closed.url });
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'connection', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('maps empty choices to a retryable malformed_response', async () => {
    const { client } = await setup([{ type: 'empty' }]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'malformed_response', retryable: true });
  });

  it('records a failed lastMessageIncludes expectation and answers 400', async () => {
    const { server, client } = await setup([
      { type: 'text', content: 'x', expect: { lastMessageIncludes: 'tests passed' } },
    ]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(server.failures).toHaveLength(1);
    expect(server.failures[0]).toContain('expected the last message to include "tests passed"');
  });

  it('checks anyMessageIncludes across the conversation', async () => {
    const { server, client } = await setup([
      { type: 'text', content: 'ok', expect: { anyMessageIncludes: 'coding agent' } },
      { type: 'text', content: 'no', expect: { anyMessageIncludes: 'nowhere to be found' } },
    ]);
    await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
    await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(server.failures).toHaveLength(1);
    expect(server.failures[0]).toContain('nowhere to be found');
  });

  it('answers 500 "script exhausted" and records it; push extends the script', async () => {
    const { server, client } = await setup([]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'server_error', status: 500 });
    expect(err.message).toContain('script exhausted');
    expect(server.failures).toEqual(['request 1: script exhausted']);

    server.push({ type: 'text', content: 'more' });
    expect(server.remaining()).toBe(1);
    expect((await client.complete(MESSAGES, TOOLS, { model: 'scripted' })).message.content).toBe('more');
  });

  it('serves GET /v1/models', async () => {
    const { server } = await setup([]);
    const models = await fetch(`${server.url}/models`);
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({ object: 'list', data: [{ id: 'scripted' }] });
  });

  it('asks for one JSON answer when streaming is off, and reads cached and reasoning tokens from it', async () => {
    server = await startScriptedModelServer({
      script: [
        {
          type: 'text',
          content: 'ok',
          usage: { prompt_tokens: 1000, completion_tokens: 50, cached_tokens: 800, reasoning_tokens: 30 },
        },
      ],
    });
    const client = new OpenAIModelClient({ apiKey: API_KEY, baseUrl: server.url, stream: false });
    const completion = await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
    expect(completion.usage).toEqual({
      promptTokens: 1000,
      completionTokens: 50,
      totalTokens: 1050,
      cachedPromptTokens: 800,
      reasoningTokens: 30,
    });
    expect(server.requests[0]?.stream).toBe(false);
  });
});
