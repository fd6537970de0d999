/** DRYDOCK_LOG_LEVEL, DRYDOCK_LOG_FORMAT, DRYDOCK_METRICS_ADDRESS: defaults, and one clear problem per bad value. */
import { expect, test } from '@jest/globals';
import { envGetter } from '../../activities/shared/env-settings';
import { readObservabilityConfig } from '../../workers/observability-config';

function read(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  return { config: readObservabilityConfig(envGetter(env), problems), problems };
}

test('defaults: INFO, text, no metrics endpoint; values are read case-insensitively', () => {
  expect(read({}).config).toEqual({ logLevel: 'INFO', logFormat: 'text' });
  expect(
    read({ DRYDOCK_LOG_LEVEL: 'debug', DRYDOCK_LOG_FORMAT: 'JSON', DRYDOCK_METRICS_ADDRESS: '0.0.0.0:9464' }).config,
  ).toEqual({ logLevel: 'DEBUG', logFormat: 'json', metricsAddress: '0.0.0.0:9464' });
});

test('bad values: one problem each, naming the variable', () => {
  expect(
    read({ DRYDOCK_LOG_LEVEL: 'loud', DRYDOCK_LOG_FORMAT: 'xml', DRYDOCK_METRICS_ADDRESS: '9464' }).problems,
  ).toEqual([
    'DRYDOCK_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, got "LOUD"',
    'DRYDOCK_LOG_FORMAT must be text or json, got "xml"',
    'DRYDOCK_METRICS_ADDRESS must be host:port (e.g. 0.0.0.0:9464), got "9464"',
  ]);
});
