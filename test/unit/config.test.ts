/** Configuration from the environment: defaults, and a clear message for each bad value. */
import { ConfigError, loadConfig } from '../../workers/config';

test('defaults', () => {
  const c = loadConfig({ HOME: '/home/u' });
  expect(c.temporalAddress).toBe('localhost:7233');
  expect(c.namespace).toBe('default');
  expect(c.temporalUiUrl).toBe('http://localhost:8233');
  expect(c.openaiApiKey).toBeUndefined();
  expect(c.commandRunner).toBe(true);
  expect(c.sandboxCapacity).toBeNull();
  expect(loadConfig({ DRYDOCK_SANDBOX_CAPACITY: '3' }).sandboxCapacity).toBe(3);
});

test('DRYDOCK_SANDBOX_RUNNER=off runs each command as its own engine exec', () => {
  expect(loadConfig({ DRYDOCK_SANDBOX_RUNNER: 'off' }).commandRunner).toBe(false);
  expect(loadConfig({ DRYDOCK_SANDBOX_RUNNER: 'on' }).commandRunner).toBe(true);
});

test.each([
  ['TEMPORAL_ADDRESS', 'localhost', /TEMPORAL_ADDRESS must be host:port/],
  ['TEMPORAL_ADDRESS', 'localhost:99999', /port must be 1-65535/],
  ['TEMPORAL_NAMESPACE', 'bad namespace!', /TEMPORAL_NAMESPACE/],
  ['DRYDOCK_DATA_DIR', 'relative/dir', /DRYDOCK_DATA_DIR must be an absolute path/],
  ['DRYDOCK_HOST_ID', 'Not_Valid', /DRYDOCK_HOST_ID/],
  ['DOCKER_HOST', '/var/run/docker.sock', /DOCKER_HOST must start with unix:\/\//],
  ['OPENAI_BASE_URL', 'not a url', /OPENAI_BASE_URL must be an http\(s\) URL/],
  ['DRYDOCK_SANDBOX_RUNNER', 'maybe', /DRYDOCK_SANDBOX_RUNNER must be on or off/],
  ['DRYDOCK_SANDBOX_CAPACITY', '0', /DRYDOCK_SANDBOX_CAPACITY must be an integer from 1 to 10000, got "0"/],
  ['DRYDOCK_SANDBOX_CAPACITY', 'lots', /DRYDOCK_SANDBOX_CAPACITY must be an integer from 1 to 10000, got "lots"/],
])('%s=%s is refused with a clear message', (name, value, message) => {
  expect(() => loadConfig({ [name]: value })).toThrow(message);
});

test('every bad value is reported at once', () => {
  try {
    loadConfig({ TEMPORAL_ADDRESS: 'x', OPENAI_BASE_URL: 'y' });
    throw new Error('expected a ConfigError');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(2);
  }
});

test('the environment cache: 12 h and 20 GiB under the data folder by default; sizes, fractions, off; bad values named', () => {
  expect(loadConfig({ HOME: '/home/u', DRYDOCK_DATA_DIR: '/d' }).envCache).toEqual({
    dir: '/d/env-cache',
    hours: 12,
    bytes: 20 * 1024 ** 3,
  });
  const c = loadConfig({
    DRYDOCK_ENV_CACHE_HOURS: '0.5',
    DRYDOCK_ENV_CACHE_BYTES: '500m',
    DRYDOCK_ENV_CACHE_DIR: '/c',
  });
  expect(c.envCache).toEqual({ dir: '/c', hours: 0.5, bytes: 500 * 1024 ** 2 });
  expect(loadConfig({ DRYDOCK_ENV_CACHE_BYTES: 'off' }).envCache.bytes).toBe(0);
  expect(() => loadConfig({ DRYDOCK_ENV_CACHE_HOURS: 'soon' })).toThrow(
    'DRYDOCK_ENV_CACHE_HOURS must be a number of hours above 0 (e.g. 12 or 0.5), got "soon"',
  );
  expect(() => loadConfig({ DRYDOCK_ENV_CACHE_BYTES: 'lots' })).toThrow(
    'DRYDOCK_ENV_CACHE_BYTES must be a size (e.g. 20g, 500m) or off, got "lots"',
  );
});
