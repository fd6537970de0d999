/**
 * Both model adapters (Chat Completions and Responses) against the scripted
 * server, streaming: assembly of split tool calls, usage details, liveness
 * (idle and total limits, cancellation) and bad streams. One suite, run per API.
 */
import { ModelCallError } from '../../activities/model/errors';
import { type ModelApi, createModelClient } from '../../activities/model/create-model-client';
import type { ChatMessage, ModelClient, ModelProgress, ToolDefinition } from '../../activities/model/model-client';
import {
  type ScriptedModelServer,
  type ScriptedTurn,
  encryptedReasoningOf,
  startScriptedModelServer,
} from '../../scripted-model';

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

async function setup(api: ModelApi, script: ScriptedTurn[], stream = true): Promise<ModelClient> {
  server = await startScriptedModelServer({ script });
  return createModelClient({ api, apiKey: 'sk-test-streaming-0123456789', baseUrl: server.url, stream });
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

const LONG_ARGS = { path: `src/${'deeply/'.repeat(20)}sum.ts` };

describe.each<ModelApi>(['chat', 'responses'])('the %s adapter, streaming', (api) => {
  it('assembles a tool call split across events, reports progress per event, and reads cached and reasoning tokens', async () => {
    const client = await setup(api, [
      {
        type: 'tool_calls',
        content: 'Reading it.',
        calls: [
          { name: 'read_file', arguments: LONG_ARGS },
          { name: 'read_file', arguments: { path: 'b.ts' } },
        ],
        usage: { prompt_tokens: 1000, completion_tokens: 60, cached_tokens: 900, reasoning_tokens: 40 },
      },
    ]);
    const progress: ModelProgress[] = [];
    const completion = await client.complete(MESSAGES, TOOLS, {
      model: 'scripted',
      onProgress: (p) => progress.push(p),
    });
    expect(completion.message.content).toBe('Reading it.');
    expect(completion.message.tool_calls?.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['read_file', LONG_ARGS],
      ['read_file', { path: 'b.ts' }],
    ]);
    expect(completion.finishReason).toBe('tool_calls');
    expect(completion.usage).toEqual({
      promptTokens: 1000,
      completionTokens: 60,
      totalTokens: 1060,
      cachedPromptTokens: 900,
      reasoningTokens: 40,
    });
    expect(server?.requests[0]?.stream).toBe(true);
    // Every event was seen: the arguments arrived in pieces.
    expect(progress.length).toBeGreaterThanOrEqual(6);
    expect(progress.at(-1)?.outputChars).toBeGreaterThan(JSON.stringify(LONG_ARGS).length);
  });

  it('is not cut by the idle limit while reasoning events flow (2.5 s of reasoning, 1 s idle limit)', async () => {
    const client = await setup(api, [{ type: 'text', content: 'done', reasoning: { seconds: 2.5, everyMs: 250 } }]);
    const progress: ModelProgress[] = [];
    const started = Date.now();
    const completion = await client.complete(MESSAGES, TOOLS, {
      model: 'scripted',
      idleTimeoutMs: 1000,
      timeoutMs: 20_000,
      onProgress: (p) => progress.push(p),
    });
    expect(completion.message.content).toBe('done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
    expect(progress.length).toBeGreaterThanOrEqual(10);
  });

  it('cuts a stream that goes silent after the idle limit, as a retryable idle failure', async () => {
    const client = await setup(api, [
      {
        type: 'tool_calls',
        calls: [{ name: 'read_file', arguments: LONG_ARGS }],
        streamFault: { kind: 'stall', afterEvents: 3 },
      },
    ]);
    const started = Date.now();
    const err = await failure(
      client.complete(MESSAGES, TOOLS, { model: 'scripted', idleTimeoutMs: 500, timeoutMs: 20_000 }),
    );
    const took = Date.now() - started;
    expect(err).toMatchObject({ kind: 'idle', retryable: true });
    expect(err.message).toContain('nothing received for 500 ms');
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);
    // The server saw the client leave.
    await new Promise((r) => setTimeout(r, 50));
    expect(server?.requests[0]?.abortedAt).toBeDefined();
  });

  it('keeps the total limit while events flow', async () => {
    const client = await setup(api, [{ type: 'text', content: 'late', reasoning: { seconds: 5, everyMs: 100 } }]);
    const err = await failure(
      client.complete(MESSAGES, TOOLS, { model: 'scripted', idleTimeoutMs: 1000, timeoutMs: 800 }),
    );
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('aborts the stream when the caller cancels', async () => {
    const client = await setup(api, [{ type: 'text', content: 'never', reasoning: { seconds: 10, everyMs: 100 } }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await failure(
      client.complete(MESSAGES, TOOLS, { model: 'scripted', signal: controller.signal, idleTimeoutMs: 5000 }),
    );
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    await new Promise((r) => setTimeout(r, 50));
    expect(server?.requests[0]?.abortedAt).toBeDefined();
  });

  it('classifies malformed JSON in the stream as a retryable malformed_response', async () => {
    const client = await setup(api, [
      { type: 'text', content: 'hello there', streamFault: { kind: 'garbage', afterEvents: 2 } },
    ]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'malformed_response', retryable: true });
  });

  it('classifies a stream that ends without its final event as a retryable malformed_response', async () => {
    const client = await setup(api, [
      {
        type: 'tool_calls',
        calls: [{ name: 'read_file', arguments: LONG_ARGS }],
        streamFault: { kind: 'end', afterEvents: 3 },
      },
    ]);
    const err = await failure(client.complete(MESSAGES, TOOLS, { model: 'scripted' }));
    expect(err).toMatchObject({ kind: 'malformed_response', retryable: true });
    expect(err.message).toMatch(/stream ended/);
  });

  it('passes arguments that are not JSON and an unknown tool through to the tool runner', async () => {
    const client = await setup(api, [
      {
        type: 'tool_calls',
        calls: [
          { name: 'read_file', arguments: '{"path": "src/' },
          { name: 'launch_rockets', arguments: {} },
        ],
      },
    ]);
    const completion = await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
    expect(completion.message.tool_calls?.map((c) => [c.function.name, c.function.arguments])).toEqual([
      ['read_file', '{"path": "src/'],
      ['launch_rockets', '{}'],
    ]);
  });
});

describe('the responses adapter', () => {
  it('sends store: false, function tools, function_call_output, and the reasoning items of turn n in turn n+1', async () => {
    for (const stream of [true, false]) {
      const client = await setup(
        'responses',
        [
          { type: 'tool_calls', calls: [{ name: 'read_file', arguments: { path: 'a.ts' } }], reasoning: {} },
          { type: 'text', content: 'done', expect: { lastMessageIncludes: 'export const a' } },
        ],
        stream,
      );
      const first = await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
      expect(first.message.reasoning).toEqual([
        {
          type: 'reasoning',
          id: 'rs_scripted_1',
          summary: [{ type: 'summary_text', text: 'Thinking about turn 1.' }],
          encrypted_content: encryptedReasoningOf(1),
        },
      ]);
      const call = first.message.tool_calls?.[0];
      const conversation: ChatMessage[] = [
        ...MESSAGES,
        first.message,
        { role: 'tool', tool_call_id: call?.id ?? '', content: 'export const a = 1;' },
      ];
      const second = await client.complete(conversation, TOOLS, { model: 'scripted' });
      expect(second.message).toEqual({ role: 'assistant', content: 'done' });

      const [r1, r2] = server!.requests;
      expect(r1?.api).toBe('responses');
      expect(r1?.stream).toBe(stream);
      expect(r1?.store).toBe(false);
      expect(r1?.body).toMatchObject({
        include: ['reasoning.encrypted_content'],
        tools: [{ type: 'function', name: 'read_file', parameters: TOOLS[0]?.parameters }],
      });
      expect(r2?.inputItems).toEqual([
        { role: 'system', content: 'You are a coding agent.' },
        { role: 'user', content: 'Fix the failing test in src/sum.ts.' },
        {
          type: 'reasoning',
          id: 'rs_scripted_1',
          summary: [{ type: 'summary_text', text: 'Thinking about turn 1.' }],
          encrypted_content: encryptedReasoningOf(1),
        },
        { type: 'function_call', call_id: call?.id, name: 'read_file', arguments: '{"path":"a.ts"}' },
        { type: 'function_call_output', call_id: call?.id, output: 'export const a = 1;' },
      ]);
      expect(server!.failures).toEqual([]);
      await server!.close();
      server = undefined;
    }
  });

  it('answers reasoning without output with an empty turn and drops the lone reasoning item', async () => {
    const client = await setup('responses', [{ type: 'empty', reasoning: {} }]);
    const completion = await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
    expect(completion.message).toEqual({ role: 'assistant', content: null });
    expect(completion.finishReason).toBe('stop');
  });
});

describe('createModelClient', () => {
  it.each<[ModelApi, Record<string, unknown>]>([
    ['chat', { reasoning_effort: 'low', parallel_tool_calls: false, top_k: 5 }],
    ['responses', { reasoning: { effort: 'low' }, parallel_tool_calls: false, top_k: 5, store: false }],
  ])('sends a %s profile’s reasoning effort, parallel tool calls and extra fields', async (api, expected) => {
    server = await startScriptedModelServer({ script: [{ type: 'text', content: 'ok' }] });
    const client = createModelClient({
      api,
      baseUrl: server.url,
      reasoningEffort: 'low',
      parallelToolCalls: false,
      extraBody: { top_k: 5 },
    });
    await client.complete(MESSAGES, TOOLS, { model: 'scripted' });
    expect(server.requests[0]?.api).toBe(api);
    expect(server.requests[0]?.body).toMatchObject(expected);
  });
});
