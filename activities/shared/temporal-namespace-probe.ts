/**
 * One DescribeNamespace call of our own, without the SDKs' retries, at a
 * worker's start: a server that answers but cannot reach its database is told
 * in one line at once (the SDK core retries it for a while, logging each try).
 */
import { Connection } from '@temporalio/client';
import { explainDatabaseOutage } from './temporal-connect-error';
import type { TemporalConnectionConfig } from './temporal-connection';

/** Resolves with the line to print when the server cannot serve the namespace for want of its database, else undefined. */
export async function probeNamespace(
  config: TemporalConnectionConfig,
  timeoutMs = 10_000,
): Promise<string | undefined> {
  let connection: Connection | undefined;
  try {
    // No interceptors: no retry interceptor, so the server's first answer is the one we read.
    connection = await Connection.connect({ ...config.connectOptions, interceptors: [], connectTimeout: timeoutMs });
    const client = connection;
    await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflowService.describeNamespace({ namespace: config.namespace }),
    );
    return undefined;
  } catch (err) {
    return explainDatabaseOutage(err, config);
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
