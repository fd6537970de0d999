/**
 * Connections the way Temporal apps make them (issue 19, item 1): a
 * temporal.toml profile with mutual TLS, an API key, and one clear line for an
 * unknown profile, a bad certificate and a wrong key — for the CLI and the
 * workers. The dev server serves no TLS, so a TLS-terminating gRPC proxy
 * (test/support/tls-proxy.ts) stands in front of it.
 */
import { execFile, spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { NativeConnection } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../workers/config';
import { runCli, type CliRun } from '../support/cli';
import { startTestEnvironment } from '../support/test-env';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy';

const WORKER = path.join(__dirname, '..', '..', 'dist', 'workers', 'agent-worker.js');
let env: TestWorkflowEnvironment;
let certs: TestCertificates;
let mtls: TlsProxy;
let keyed: TlsProxy;
let dir: string;
let configFile: string;
/** What every run here starts from: the test's config file, no address or namespace of the outer environment. */
let base: Record<string, string>;

beforeAll(async () => {
  env = await startTestEnvironment();
  certs = makeTestCertificates();
  const server = { upstream: env.address, serverCert: certs.serverCert, serverKey: certs.serverKey };
  mtls = await startTlsProxy({ ...server, clientCaCert: certs.caCert });
  keyed = await startTlsProxy({ ...server, apiKey: 'the-right-key' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-profile-'));
  configFile = path.join(dir, 'temporal.toml');
  writeFileSync(path.join(dir, 'not-a-cert.pem'), 'hello\n');
  writeFileSync(
    configFile,
    [
      '[profile.default]',
      'address = "127.0.0.1:1"',
      '',
      '[profile.fleet]',
      `address = "${mtls.address}"`,
      `namespace = "${env.namespace ?? 'default'}"`,
      '[profile.fleet.tls]',
      `client_cert_path = "${certs.clientCert}"`,
      `client_key_path = "${certs.clientKey}"`,
      `server_ca_cert_path = "${certs.caCert}"`,
      'server_name = "localhost"',
      '',
      '[profile.rogue]',
      `address = "${mtls.address}"`,
      '[profile.rogue.tls]',
      `client_cert_path = "${certs.rogueClientCert}"`,
      `client_key_path = "${certs.rogueClientKey}"`,
      `server_ca_cert_path = "${certs.caCert}"`,
      'server_name = "localhost"',
      '',
      '[profile.cloud]',
      `address = "${keyed.address}"`,
      'api_key = "the-right-key"',
      '[profile.cloud.tls]',
      `server_ca_cert_path = "${certs.caCert}"`,
      'server_name = "localhost"',
      '',
    ].join('\n'),
  );
  base = { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_API_KEY: '' };
}, 120_000);

afterAll(async () => {
  await mtls?.close();
  await keyed?.close();
  await env?.teardown();
  certs?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Exactly one line on stderr, no stack. */
function expectOneLine(r: CliRun, pattern: RegExp, code: number): void {
  expect(r.code).toBe(code);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

test('the CLI reaches Temporal through a temporal.toml profile with mutual TLS, and doctor says so', async () => {
  const list = await runCli(['list', '--json'], { ...base, TEMPORAL_PROFILE: 'fleet' });
  expect(list.stderr).toBe('');
  expect(list.code).toBe(0);
  const doctor = await runCli(['doctor', '--json'], { ...base, TEMPORAL_PROFILE: 'fleet' });
  const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
  const temporal = checks.find((c) => c.name === 'Temporal');
  expect(temporal?.ok).toBe(true);
  expect(temporal?.detail).toContain(`answers at ${mtls.address}`);
  expect(temporal?.detail).toContain(`profile fleet (${configFile})`);
  expect(temporal?.detail).toContain('mTLS');
  // Without a profile the file's default applies (nothing answers there): doctor names it, and TLS off.
  const plain = await runCli(['doctor'], base);
  expect(plain.stdout).toMatch(/✘ Temporal +cannot reach Temporal at 127.0.0.1:1 .*profile default .*TLS off/);
});

test('a worker connects with the same profile (mutual TLS from the native connection)', async () => {
  const config = loadConfig({ ...process.env, ...base, TEMPORAL_PROFILE: 'fleet' });
  expect(config.temporal.tls).toBe('mtls');
  const connection = await NativeConnection.connect(config.temporal.connectOptions);
  try {
    const ns = await connection.workflowService.describeNamespace({ namespace: config.namespace });
    expect(ns.namespaceInfo?.name).toBe(config.namespace);
  } finally {
    await connection.close();
  }
  expect(mtls.refusedHandshakes).toBe(0);
});

test('a worker process runs over the profile with mutual TLS and logs JSON lines when asked', async () => {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, ...base, TEMPORAL_PROFILE: 'fleet', DRYDOCK_LOG_FORMAT: 'json', DRYDOCK_POOL_SIZE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const until = Date.now() + 60_000;
    while (!/drydock agent worker: /.test(out) && child.exitCode === null && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    const line = out.split('\n').find((l) => l.includes('drydock agent worker: '));
    expect(line).toBeDefined();
    const entry = JSON.parse(line ?? '') as { level: string; message: string; time: string };
    expect(entry.level).toBe('INFO');
    expect(entry.message).toContain(`drydock-agent on ${mtls.address}`);
    expect(entry.message).toContain('profile fleet');
    expect(entry.message).toContain('mTLS');
    expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}, 90_000);

test('an unknown profile is one line that names the file and the profiles it has', async () => {
  const r = await runCli(['list'], { ...base, TEMPORAL_PROFILE: 'nope' });
  expectOneLine(
    r,
    /TEMPORAL_PROFILE "nope" is not in .*temporal\.toml \(profiles there: default, fleet, rogue, cloud\)/,
    2, // bad configuration is bad usage
  );
});

test('bad certificates are one line each: missing file, not PEM, a certificate the server refuses', async () => {
  const missing = await runCli(['list'], {
    ...base,
    TEMPORAL_PROFILE: 'fleet',
    TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem',
  });
  expectOneLine(missing, /TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read \/nonexistent\/client\.pem \(no such file\)/, 2);
  const notPem = await runCli(['list'], {
    ...base,
    TEMPORAL_PROFILE: 'fleet',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'not-a-cert.pem'),
  });
  expectOneLine(notPem, /TEMPORAL_TLS_SERVER_CA_CERT_PATH \(.*not-a-cert\.pem\) is not a PEM certificate/, 2);
  const refused = await runCli(['list'], { ...base, TEMPORAL_PROFILE: 'rogue' });
  expectOneLine(refused, /TLS handshake with Temporal at 127\.0\.0\.1:\d+ failed: check the client certificate/, 3); // unreachable
  expect(mtls.refusedHandshakes).toBeGreaterThan(0);
});

test('a worker with the wrong certificate exits 1 with the same one line', async () => {
  const r = await new Promise<CliRun>((resolve) =>
    execFile(
      process.execPath,
      [WORKER],
      { env: { ...process.env, ...base, TEMPORAL_PROFILE: 'rogue' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  expectOneLine(r, /drydock agent worker failed: TLS handshake with Temporal at 127\.0\.0\.1:\d+ failed/, 1);
});

test('an API key: the right one is let in, a wrong one is one line', async () => {
  const ok = await runCli(['list', '--json'], { ...base, TEMPORAL_PROFILE: 'cloud' });
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  const wrong = await runCli(['list'], { ...base, TEMPORAL_PROFILE: 'cloud', TEMPORAL_API_KEY: 'a-wrong-key' });
  expectOneLine(
    wrong,
    /Temporal at 127\.0\.0\.1:\d+ refused the API key \(TEMPORAL_API_KEY or the profile's api_key\)/,
    3,
  );
  expect(wrong.stderr).not.toContain('a-wrong-key');
});
