/** The one reader of Temporal's connection settings: profile, environment and flags, in that order; one problem per bad value. */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, expect, test } from '@jest/globals';
import { readTemporalConnection, type TemporalConnectionOptions } from '../../activities/shared/temporal-connection';

const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

function read(env: NodeJS.ProcessEnv, options?: TemporalConnectionOptions) {
  const problems: string[] = [];
  return { config: readTemporalConnection(env, problems, options), problems };
}

const toml = file(
  'temporal.toml',
  '[profile.default]\naddress = "default.example:7233"\n[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod-ns"\napi_key = "k"\n',
);

test('no file and no variables: localhost:7233, namespace default, TLS off, no profile', () => {
  const { config, problems } = read({});
  expect(problems).toEqual([]);
  expect(config).toMatchObject({ address: 'localhost:7233', namespace: 'default', tls: 'off', hasApiKey: false });
  expect(config.profile).toBeUndefined();
});

test('the file default profile applies; the environment goes over it; the caller options over both; blank is unset', () => {
  expect(read({ TEMPORAL_CONFIG_FILE: toml }).config).toMatchObject({
    address: 'default.example:7233',
    profile: 'default',
  });
  const prod = read({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod', TEMPORAL_ADDRESS: ' ' }).config;
  expect(prod).toMatchObject({ address: 'prod.example:7233', namespace: 'prod-ns', profile: 'prod', hasApiKey: true });
  // An API key turns TLS on (envconfig's rule: Temporal Cloud).
  expect(prod.tls).toBe('tls');
  const env = { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'env-ns' };
  expect(read(env).config.namespace).toBe('env-ns');
  expect(read(env, { namespace: 'flag-ns', address: 'flag.example:1' }).config).toMatchObject({
    namespace: 'flag-ns',
    address: 'flag.example:1',
  });
});

test('one clear problem each: unknown profile, missing file, bad TOML, bad address, half a certificate pair', () => {
  expect(read({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'staging' }).problems).toEqual([
    `TEMPORAL_PROFILE "staging" is not in ${toml} (profiles there: default, prod)`,
  ]);
  expect(read({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' }).problems).toEqual([
    'TEMPORAL_CONFIG_FILE /nonexistent/temporal.toml does not exist',
  ]);
  expect(read({ TEMPORAL_CONFIG_FILE: file('bad.toml', '[profile.x\n') }).problems[0]).toMatch(
    /bad\.toml is not valid TOML/,
  );
  expect(read({ TEMPORAL_ADDRESS: 'no-port' }).problems).toEqual(['TEMPORAL_ADDRESS must be host:port, got "no-port"']);
  const cert = file('c.pem', '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
  expect(read({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert }).problems).toEqual([
    'a TLS client certificate is set without its key (TEMPORAL_TLS_CLIENT_KEY_PATH or tls.client_key_path)',
  ]);
  const key = file('k.pem', '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n');
  const mtls = read({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key });
  expect(mtls.problems).toEqual([]);
  expect(mtls.config.tls).toBe('mtls');
  expect(read({ TEMPORAL_TLS: 'true' }).config.tls).toBe('tls');
});
