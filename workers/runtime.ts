/**
 * The worker process's Temporal Runtime: drydock's log level and format for
 * the SDK's logger (native logs forwarded to it) and, with
 * DRYDOCK_METRICS_ADDRESS, the SDK's Prometheus endpoint, where drydock's own
 * metrics (workflows/metric-names.ts) sit beside Temporal's.
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogEntry, type Logger } from '@temporalio/worker';
import { HISTOGRAM_BUCKETS } from '../workflows/metric-names';
import type { ObservabilityConfig } from './observability-config';

/** Installs the Runtime once for this process and returns its logger; a second call returns the installed one's. */
export function installRuntime(config: ObservabilityConfig): Logger {
  const logger = new DefaultLogger(config.logLevel, config.logFormat === 'json' ? writeJsonLine : writeTextLine);
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        logging: { forward: {}, filter: makeTelemetryFilterString({ core: config.logLevel, other: 'WARN' }) },
        ...(config.metricsAddress
          ? {
              metrics: {
                prometheus: { bindAddress: config.metricsAddress, histogramBucketOverrides: HISTOGRAM_BUCKETS },
              },
            }
          : {}),
      },
    });
    return logger;
  } catch (err) {
    // Installed already (a test or an embedding program did it first): use its logger.
    if (/already/i.test(err instanceof Error ? err.message : '')) return Runtime.instance().logger;
    throw err;
  }
}

/** `2026-01-01T00:00:00.000Z [INFO] message {"meta":…}` on stdout. */
function writeTextLine(entry: LogEntry): void {
  const meta = entry.meta && Object.keys(entry.meta).length > 0 ? ` ${safeJson(entry.meta)}` : '';
  process.stdout.write(`${timeOf(entry)} [${entry.level}] ${entry.message}${meta}\n`);
}

/** `{"time":…,"level":…,"message":…,…meta}`: one JSON object a line on stdout. */
function writeJsonLine(entry: LogEntry): void {
  process.stdout.write(
    `${safeJson({ time: timeOf(entry), level: entry.level, message: entry.message, ...(entry.meta ?? {}) })}\n`,
  );
}

function timeOf(entry: LogEntry): string {
  return new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
}

/** JSON that survives bigints, errors and cycles. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[cycle]';
      seen.add(v);
    }
    return v;
  });
}
