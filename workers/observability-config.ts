/**
 * How a worker reports: DRYDOCK_LOG_LEVEL, DRYDOCK_LOG_FORMAT and
 * DRYDOCK_METRICS_ADDRESS (the SDK's Prometheus endpoint, drydock's own
 * metrics beside Temporal's).
 */
import type { EnvGetter } from '../activities/shared/env-settings';

/** The log levels of the Temporal SDK's logger, quietest last. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** One of LOG_LEVELS. */
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** What the worker's Runtime is installed with. */
export interface ObservabilityConfig {
  /** DRYDOCK_LOG_LEVEL (default INFO): the worker's log level, the SDK's native logs included. */
  logLevel: LogLevelName;
  /** DRYDOCK_LOG_FORMAT=text|json (default text): json writes one JSON object a line. */
  logFormat: 'text' | 'json';
  /** DRYDOCK_METRICS_ADDRESS (e.g. 0.0.0.0:9464): where /metrics answers; none: no metrics endpoint. */
  metricsAddress?: string;
}

/** Reads the observability settings; appends one problem per bad value. */
export function readObservabilityConfig(get: EnvGetter, problems: string[]): ObservabilityConfig {
  const level = (get('DRYDOCK_LOG_LEVEL') ?? 'INFO').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    problems.push(`DRYDOCK_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  const format = (get('DRYDOCK_LOG_FORMAT') ?? 'text').toLowerCase();
  if (format !== 'text' && format !== 'json')
    problems.push(`DRYDOCK_LOG_FORMAT must be text or json, got ${JSON.stringify(format)}`);
  const metricsAddress = get('DRYDOCK_METRICS_ADDRESS');
  if (metricsAddress !== undefined) {
    const m = /^(.+):(\d{1,5})$/.exec(metricsAddress);
    if (!m || Number(m[2]) > 65535)
      problems.push(
        `DRYDOCK_METRICS_ADDRESS must be host:port (e.g. 0.0.0.0:9464), got ${JSON.stringify(metricsAddress)}`,
      );
  }
  return {
    logLevel: (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevelName) : 'INFO',
    logFormat: format === 'json' ? 'json' : 'text',
    ...(metricsAddress !== undefined ? { metricsAddress } : {}),
  };
}
