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
    DRYDOCK_SANDBOX_DISK: '1g',
    DRYDOCK_SECCOMP_PROFILE: '/etc/drydock/seccomp.json',
    DRYDOCK_SERVICE_IMAGES: 'postgres:16, redis',
  });
  expect(config.security).toEqual({
    sandboxMemoryBytes: 512 * 1024 ** 2,
    sandboxCpus: 1.5,
    sandboxPidsLimit: 256,
    sandboxRuntime: 'runsc',
    setupSecrets: { NPM_TOKEN: 'npm-secret' },
    payloadKey: key,
    sandboxDiskBytes: 1024 ** 3,
    seccompProfilePath: '/etc/drydock/seccomp.json',
    serviceImages: ['postgres:16', 'redis'],
  });
});

test('a sandbox disk of 10 GiB unless the operator sets another size or off', () => {
  expect(loadConfig({}).security.sandboxDiskBytes).toBe(10 * 1024 ** 3);
  expect(loadConfig({ DRYDOCK_SANDBOX_DISK: 'off' }).security.sandboxDiskBytes).toBeNull();
  expect(() => loadConfig({ DRYDOCK_SANDBOX_DISK: '10m' })).toThrow(
    /DRYDOCK_SANDBOX_DISK must be a size of at least 256m/,
  );
  expect(loadConfig({}).security.serviceImages).toEqual([]);
});

test('bad values are each named', () => {
  let err: unknown;
  try {
    loadConfig({
      DRYDOCK_SANDBOX_MEMORY: 'lots',
      DRYDOCK_SANDBOX_PIDS: '3',
      DRYDOCK_SANDBOX_RUNTIME: 'run sc',
      DRYDOCK_PAYLOAD_KEY: 'c2hvcnQ=',
      DRYDOCK_SETUP_SECRET_bad: 'x',
      DRYDOCK_SANDBOX_DISK: 'big',
      DRYDOCK_SECCOMP_PROFILE: 'relative.json',
      DRYDOCK_SERVICE_IMAGES: 'ok,bad image',
    });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const problems = (err as ConfigError).problems.join('\n');
  for (const name of [
    'DRYDOCK_SANDBOX_MEMORY',
    'DRYDOCK_SANDBOX_PIDS',
    'DRYDOCK_SANDBOX_RUNTIME',
    'DRYDOCK_PAYLOAD_KEY must be the base64 of 32',
    'DRYDOCK_SETUP_SECRET_bad',
    'DRYDOCK_SANDBOX_DISK',
    'DRYDOCK_SECCOMP_PROFILE',
    'DRYDOCK_SERVICE_IMAGES',
  ]) {
    expect(problems).toContain(name);
  }
});
