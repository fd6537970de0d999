/** Shared entry point of the worker commands: connect, create, run, exit non-zero on failure. */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, type DrydockConfig } from './config';
import { runUntilSignal } from './create-workers';
import { explainConnectError } from '../activities/shared/temporal-connect-error';

/** Connects to Temporal, creates the workers `make` returns, and runs them until a signal. */
export function runWorkers(
  name: string,
  make: (connection: NativeConnection, config: DrydockConfig) => Promise<Worker[]>,
): void {
  void (async () => {
    let connection: NativeConnection | undefined;
    try {
      const config = loadConfig();
      try {
        connection = await NativeConnection.connect(config.temporal.connectOptions);
      } catch (err) {
        throw new Error(await explainConnectError(err, config.temporal, 'start it with `npm run dev-server`'));
      }
      const workers = await make(connection, config);
      console.log(
        `drydock ${name} worker: ${workers.map((w) => w.options.taskQueue).join(', ')} on ${config.temporalAddress} (${config.namespace})`,
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
