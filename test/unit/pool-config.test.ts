/** The warm pool's settings from the environment: defaults and clear refusals. */
import { loadConfig } from '../../workers/config';

test('the pool keeps 2 warm sandboxes for 10 minutes by default', () => {
  const c = loadConfig({ HOME: '/home/u' });
  expect(c.poolSize).toBe(2);
  expect(c.poolIdleSeconds).toBe(600);
});

test('DRYDOCK_POOL_SIZE=0 turns the pool off; other values are taken as given', () => {
  expect(loadConfig({ DRYDOCK_POOL_SIZE: '0' }).poolSize).toBe(0);
  expect(loadConfig({ DRYDOCK_POOL_SIZE: '5', DRYDOCK_POOL_IDLE_SECONDS: '60' })).toMatchObject({
    poolSize: 5,
    poolIdleSeconds: 60,
  });
});

test.each([
  ['DRYDOCK_POOL_SIZE', '-1', /DRYDOCK_POOL_SIZE must be an integer from 0 to 64/],
  ['DRYDOCK_POOL_SIZE', 'two', /DRYDOCK_POOL_SIZE must be an integer from 0 to 64/],
  ['DRYDOCK_POOL_IDLE_SECONDS', '5', /DRYDOCK_POOL_IDLE_SECONDS must be an integer from 10 to 86400/],
])('%s=%s is refused with a clear message', (name, value, message) => {
  expect(() => loadConfig({ [name]: value })).toThrow(message);
});
