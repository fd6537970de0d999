/** The Temporal client the CLI uses, with a clear error when the server does not answer. */
import { Client, Connection } from '@temporalio/client';
import { payloadCodecsFor } from '../activities/security/payload-codec';
import type { ClientConfig } from './config';
import { UnreachableError } from './errors';

/** Connects to Temporal; throws an Error that says how to start the dev server. */
export async function connectClient(config: ClientConfig): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: '5s' });
  } catch (err) {
    throw new UnreachableError(
      `cannot reach Temporal at ${config.temporalAddress} (${err instanceof Error ? err.message : String(err)}); start it with \`npm run dev-server\` or give --address (TEMPORAL_ADDRESS)`,
    );
  }
  // With DRYDOCK_PAYLOAD_KEY set, payloads are AES-GCM encrypted (activities/security/payload-codec.ts).
  const dataConverter = { payloadCodecs: payloadCodecsFor(config.payloadKey) };
  return {
    client: new Client({ connection, namespace: config.namespace, dataConverter }),
    close: () => connection.close(),
  };
}
