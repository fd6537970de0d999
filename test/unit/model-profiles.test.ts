/**
 * Model profiles: the built-ins with the operator's DRYDOCK_MODELS over them,
 * checked with one clear message per problem when the worker loads its
 * configuration, and a profile whose key variable is unset refused at start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfig } from '../../workers/config';
import { ConfigError } from '../../activities/shared/env-settings';
import {
  builtinProfiles,
  endpointFor,
  missingKeyProblems,
  parseModelProfiles,
  profileView,
} from '../../activities/model/profiles';
import { workerSecretValues } from '../../workers/worker-security';

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-models-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modelsFile(content: unknown): string {
  const file = path.join(dir, `models-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ DRYDOCK_DATA_DIR: dir, ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('the built-ins are current OpenAI models with prices; the Codex model speaks the Responses API', () => {
  const profiles = builtinProfiles();
  expect(profiles.get('gpt-5.3-codex')).toMatchObject({ api: 'responses', contextTokens: 400_000 });
  expect(profiles.get('gpt-5.5')?.price).toEqual({
    inputPerMillionUsd: 5,
    cachedInputPerMillionUsd: 0.5,
    outputPerMillionUsd: 30,
  });
  expect(profiles.get('gpt-4.1')).toMatchObject({ api: 'chat', source: 'built-in', ownEndpoint: false });
});

test('a file adds a profile and overrides a built-in field by field', () => {
  const file = modelsFile({
    'azure-fast': {
      model: 'gpt-4.1-mini',
      api: 'chat',
      baseUrl: 'https://example.openai.azure.com/openai/v1',
      apiKeyVariable: 'AZURE_OPENAI_KEY',
      contextTokens: 1_000_000,
      price: { inputPerMillionUsd: 0.3, cachedInputPerMillionUsd: 0.08, outputPerMillionUsd: 1.2 },
      parallelToolCalls: false,
      extraBody: { service_tier: 'flex' },
    },
    'gpt-5.4': { reasoningEffort: 'high' },
  });
  const config = loadConfig({ DRYDOCK_DATA_DIR: dir, DRYDOCK_MODELS: file, AZURE_OPENAI_KEY: 'azure-secret-1' });
  expect(config.modelProfiles.get('azure-fast')).toMatchObject({
    model: 'gpt-4.1-mini',
    source: 'file',
    ownEndpoint: true,
  });
  expect(config.modelProfiles.get('gpt-5.4')).toMatchObject({
    api: 'responses',
    reasoningEffort: 'high',
    source: 'built-in+file',
    price: { inputPerMillionUsd: 2.5 },
  });
  // The key stays on the worker, is redacted like every secret, and `drydock models` shows only its variable.
  expect(config.modelKeys).toEqual({ AZURE_OPENAI_KEY: 'azure-secret-1' });
  expect(workerSecretValues(config)).toContain('azure-secret-1');
  const view = profileView(config.modelProfiles.get('azure-fast')!, (v) => v in config.modelKeys);
  expect(view).toMatchObject({
    apiKeyVariable: 'AZURE_OPENAI_KEY',
    apiKeySet: true,
    extraBodyFields: ['service_tier'],
  });
  expect(JSON.stringify(view)).not.toContain('azure-secret-1');
  expect(missingKeyProblems(config.modelProfiles, (v) => config.modelKeys[v])).toEqual([]);
});

test('unknown fields, bad types and bad values give one clear message each', () => {
  const file = modelsFile({
    typo: { model: 'x', temprature: 0.2 },
    types: {
      api: 'completions',
      contextTokens: '128k',
      parallelToolCalls: 'yes',
      reasoningEffort: 'max',
      extraBody: { model: 'other', top_p: 1 },
    },
    endpoint: { baseUrl: 'https://user:pw@example.com/v1', apiKeyVariable: 'sk-live-123' },
    priced: { price: { inputPerMillionUsd: '2', outputPerMillionUsd: 8, cachedInput: 1 } },
  });
  expect(configProblems({ DRYDOCK_MODELS: file })).toEqual([
    'DRYDOCK_MODELS: profile "typo": unknown field "temprature" (known: model, api, baseUrl, apiKeyVariable, contextTokens, price, reasoningEffort, parallelToolCalls, extraBody)',
    'DRYDOCK_MODELS: profile "types": api must be "chat" or "responses", got "completions"',
    'DRYDOCK_MODELS: profile "types": contextTokens must be a whole number >= 1000',
    'DRYDOCK_MODELS: profile "types": reasoningEffort must be one of none, minimal, low, medium, high, xhigh, got "max"',
    'DRYDOCK_MODELS: profile "types": parallelToolCalls must be true or false',
    'DRYDOCK_MODELS: profile "types": extraBody may not set model (drydock sets them)',
    'DRYDOCK_MODELS: profile "endpoint": baseUrl must be a plain http(s) URL without credentials, query or fragment, got https://example.com/v1',
    'DRYDOCK_MODELS: profile "endpoint": apiKeyVariable must name an environment variable (A-Z, 0-9, _), not hold a key',
    'DRYDOCK_MODELS: profile "priced": price.inputPerMillionUsd must be a number >= 0',
    'DRYDOCK_MODELS: profile "priced": price.cachedInput is not a price field (inputPerMillionUsd, cachedInputPerMillionUsd, outputPerMillionUsd, contextTokens)',
  ]);
});

test('a file that is missing or not JSON is named in one line', () => {
  expect(configProblems({ DRYDOCK_MODELS: path.join(dir, 'absent.json') })).toEqual([
    `DRYDOCK_MODELS: cannot read ${path.join(dir, 'absent.json')}: no such file`,
  ]);
  expect(configProblems({ DRYDOCK_MODELS: modelsFile('{ "a": ') })[0]).toMatch(/^DRYDOCK_MODELS: cannot read .*JSON/);
  expect(configProblems({ DRYDOCK_MODELS: modelsFile([]) })).toEqual([
    'DRYDOCK_MODELS: the file must hold a JSON object of profile name → { model, api, baseUrl, … }',
  ]);
});

test('a profile whose key variable is unset is refused when the agent worker starts, naming the variable', () => {
  const file = modelsFile({ local: { model: 'qwen', baseUrl: 'http://vllm:8000/v1', apiKeyVariable: 'VLLM_KEY' } });
  const config = loadConfig({ DRYDOCK_DATA_DIR: dir, DRYDOCK_MODELS: file });
  expect(missingKeyProblems(config.modelProfiles, (v) => config.modelKeys[v])).toEqual([
    'DRYDOCK_MODELS: profile "local" takes its key from VLLM_KEY, which is not set on the agent worker',
  ]);
});

test("endpoints are the operator's: the file's profile uses its own, a built-in name the worker's", () => {
  const [local] = parseModelProfiles(
    { local: { model: 'qwen', api: 'responses', baseUrl: 'http://vllm:8000/v1', apiKeyVariable: 'VLLM_KEY' } },
    [],
  );
  const worker = { baseUrl: 'http://scripted:9000/v1', apiKey: 'worker-key', api: 'chat' as const };
  expect(endpointFor(local, worker, { VLLM_KEY: 'vllm-key' })).toMatchObject({
    api: 'responses',
    baseUrl: 'http://vllm:8000/v1',
    apiKey: 'vllm-key',
  });
  const codex = builtinProfiles().get('gpt-5.3-codex');
  // On another endpoint the worker's DRYDOCK_MODEL_API decides; on OpenAI's own the profile's API is used.
  expect(endpointFor(codex, worker, {})).toMatchObject({ api: 'chat', baseUrl: 'http://scripted:9000/v1' });
  expect(endpointFor(codex, { api: 'chat', apiKey: 'k' }, {})).toMatchObject({ api: 'responses', baseUrl: undefined });
  // A plain model name (no profile) goes to the worker's endpoint, as before profiles.
  expect(endpointFor(undefined, worker, {})).toMatchObject({ api: 'chat', apiKey: 'worker-key' });
});
