/** Shared entry point of the worker commands: connect, create, run, exit non-zero on failure. */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, type DrydockConfig } from './config';
import { runUntilSignal } from './create-workers';
import { explainConnectError, explainDatabaseOutage } from '../activities/shared/temporal-connect-error';
import { probeNamespace } from '../activities/shared/temporal-namespace-probe';
import { describeTemporalConnection } from '../activities/shared/temporal-connection';
import { installRuntime } from './runtime';

/** Connects to Temporal, creates the workers `make` returns, and runs them until a signal. */
export function runWorkers(
  name: string,
  make: (connection: NativeConnection, config: DrydockConfig) => Promise<Worker[]>,
): void {
  void (async () => {
    let connection: NativeConnection | undefined;
    try {
      const config = loadConfig();
      const logger = installRuntime(config.observability);
      try {
        connection = await NativeConnection.connect(config.temporal.connectOptions);
      } catch (err) {
        throw new Error(await explainConnectError(err, config.temporal, 'start it with `npm run dev-server`'));
      }
      // A server that answers but has lost its database: one line now, not the SDK's retries and then a namespace error.
      const outage = await probeNamespace(config.temporal);
      if (outage) throw new Error(outage);
      const workers = await make(connection, config).catch((err: unknown) => {
        throw new Error(
          explainDatabaseOutage(err, config.temporal) ?? (err instanceof Error ? err.message : String(err)),
        );
      });
      logger.info(
        `drydock ${name} worker: ${workers.map((w) => w.options.taskQueue).join(', ')} on ${config.temporalAddress} (${describeTemporalConnection(config.temporal)})`,
        config.observability.metricsAddress ? { metrics: `http://${config.observability.metricsAddress}/metrics` } : {},
      );
      await runUntilSignal(workers);
    } catch (err) {
      console.error(`drydock ${name} worker failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    } finally {
      await connection?.close();
    }
  })();
}
