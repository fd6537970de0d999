/** The Temporal client the CLI uses, with one clear line when the server does not answer or refuses us. */
import { Client, Connection } from '@temporalio/client';
import { payloadCodecsFor } from '../activities/security/payload-codec';
import { explainConnectError } from '../activities/shared/temporal-connect-error';
import type { ClientConfig } from './config';
import { UnreachableError } from './errors';

let lastAddress: string | undefined;

/** The address of the last connection made (for the line main prints when the server fails a call). */
export function connectedAddress(): string | undefined {
  return lastAddress;
}

/** Connects to Temporal as config.temporal says (profile, TLS, API key); throws an Error with one clear line. */
export async function connectClient(config: ClientConfig): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  lastAddress = config.temporal.address;
  try {
    connection = await Connection.connect({ ...config.temporal.connectOptions, connectTimeout: '5s' });
  } catch (err) {
    throw new UnreachableError(
      await explainConnectError(
        err,
        config.temporal,
        'start it with `npm run dev-server` or give --address (TEMPORAL_ADDRESS)',
      ),
    );
  }
  // With DRYDOCK_PAYLOAD_KEY set, payloads are AES-GCM encrypted (activities/security/payload-codec.ts).
  const dataConverter = { payloadCodecs: payloadCodecsFor(config.payloadKey) };
  return {
    client: new Client({ connection, namespace: config.namespace, dataConverter }),
    close: () => connection.close(),
  };
}
