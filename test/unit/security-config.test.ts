/** The operator's security settings: validated at worker start with one message per bad value. */
import { ConfigError, loadConfig } from '../../workers/config';

test('limits, runtime, setup secrets and the payload key are read from the environment', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const config = loadConfig({
    DRYDOCK_SANDBOX_MEMORY: '512m',
    DRYDOCK_SANDBOX_CPUS: '1.5',
    DRYDOCK_SANDBOX_PIDS: '256',
    DRYDOCK_SANDBOX_RUNTIME: 'runsc',
    DRYDOCK_SETUP_SECRET_NPM_TOKEN: 'npm-secret',
    DRYDOCK_PAYLOAD_KEY: key,
  });
  expect(config.security).toEqual({
    sandboxMemoryBytes: 512 * 1024 ** 2,
    sandboxCpus: 1.5,
    sandboxPidsLimit: 256,
    sandboxRuntime: 'runsc',
    setupSecrets: { NPM_TOKEN: 'npm-secret' },
    payloadKey: key,
  });
});

test('bad values are each named', () => {
  let err: unknown;
  try {
    loadConfig({ DRYDOCK_SANDBOX_MEMORY: 'lots', DRYDOCK_SANDBOX_PIDS: '3', DRYDOCK_SANDBOX_RUNTIME: 'run sc', DRYDOCK_PAYLOAD_KEY: 'c2hvcnQ=', DRYDOCK_SETUP_SECRET_bad: 'x' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const problems = (err as ConfigError).problems.join('\n');
  for (const name of ['DRYDOCK_SANDBOX_MEMORY', 'DRYDOCK_SANDBOX_PIDS', 'DRYDOCK_SANDBOX_RUNTIME', 'DRYDOCK_PAYLOAD_KEY must be the base64 of 32', 'DRYDOCK_SETUP_SECRET_bad']) {
    expect(problems).toContain(name);
  }
});
