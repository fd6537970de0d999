/** Model endpoints are the operator's: a goal's base URL is used only when the worker lists it. */
import { ApplicationFailure } from '@temporalio/common';
import { canonicalBaseUrl, modelBaseUrlFor } from '../../activities/model/endpoints';
import { loadConfig } from '../../workers/config';

const operator = {
  defaultBaseUrl: 'http://127.0.0.1:8000/v1',
  allowedBaseUrls: ['https://models.internal.example/v1/'],
};

function refusal(baseUrl: string): ApplicationFailure {
  try {
    modelBaseUrlFor({ name: 'm', baseUrl }, operator);
  } catch (err) {
    return err as ApplicationFailure;
  }
  throw new Error(`${baseUrl} was allowed`);
}

test('a goal that names no base URL goes to the operator default', () => {
  expect(modelBaseUrlFor(undefined, operator)).toBe('http://127.0.0.1:8000/v1');
  expect(modelBaseUrlFor({ name: 'gpt-4.1' }, operator)).toBe('http://127.0.0.1:8000/v1');
  expect(modelBaseUrlFor({ name: 'gpt-4.1' }, { allowedBaseUrls: [] })).toBeUndefined();
});

test("a listed base URL is used in the operator's spelling; OPENAI_BASE_URL itself is listed", () => {
  expect(modelBaseUrlFor({ name: 'm', baseUrl: 'HTTPS://Models.Internal.Example:443/v1' }, operator)).toBe(
    'https://models.internal.example/v1/',
  );
  expect(modelBaseUrlFor({ name: 'm', baseUrl: 'http://127.0.0.1:8000/v1/' }, operator)).toBe(
    'http://127.0.0.1:8000/v1',
  );
});

test('any other base URL is refused, non-retryable, naming the URL (not its credentials) and the variable', () => {
  for (const url of [
    'http://127.0.0.1:9999/v1',
    'https://models.internal.example/v2',
    'https://models.internal.example.evil.test/v1',
    'https://user:sk-secretvalue@models.internal.example/v1',
    'https://models.internal.example/v1?key=sk-secretvalue',
  ]) {
    const err = refusal(url);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('ModelEndpointNotAllowed');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('DRYDOCK_MODEL_BASE_URLS');
    expect(err.message).not.toContain('secretvalue');
    expect(err.message).not.toContain('\n');
  }
  expect(refusal('http://127.0.0.1:9999/v1').message).toBe(
    "model endpoint http://127.0.0.1:9999/v1 is not allowed: a goal's model.baseUrl must be listed in DRYDOCK_MODEL_BASE_URLS on the agent worker",
  );
});

test('canonical form: scheme, host and path; credentials, a query or a fragment make no match', () => {
  expect(canonicalBaseUrl('http://Host:80/v1//')).toBe('http://host/v1');
  expect(canonicalBaseUrl('http://u:p@host/v1')).toBeUndefined();
  expect(canonicalBaseUrl('http://host/v1#x')).toBeUndefined();
  expect(canonicalBaseUrl('ftp://host/v1')).toBeUndefined();
});

test('DRYDOCK_MODEL_BASE_URLS: comma-separated URLs, one clear message per bad entry', () => {
  expect(loadConfig({}).modelBaseUrls).toEqual([]);
  expect(
    loadConfig({ DRYDOCK_MODEL_BASE_URLS: ' http://a.example/v1 , https://b.example/v1/,' }).modelBaseUrls,
  ).toEqual(['http://a.example/v1', 'https://b.example/v1/']);
  try {
    loadConfig({
      DRYDOCK_MODEL_BASE_URLS:
        'not a url,ftp://x.example,https://u:sk-hidden@c.example/v1,https://d.example/v1?k=1,http://ok.example',
    });
    throw new Error('expected a ConfigError');
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems ?? [];
    expect(problems).toEqual([
      'DRYDOCK_MODEL_BASE_URLS: "not a url" is not an http(s) URL',
      'DRYDOCK_MODEL_BASE_URLS: ftp://x.example/ is not an http(s) URL',
      'DRYDOCK_MODEL_BASE_URLS: an entry for c.example carries credentials (user:password@); the key comes from OPENAI_API_KEY',
      'DRYDOCK_MODEL_BASE_URLS: https://d.example/v1 must not have a query or fragment',
    ]);
  }
});
