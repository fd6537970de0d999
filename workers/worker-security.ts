/**
 * What every drydock worker gets for security: a redactor that knows the
 * worker's own secret values, the redacting artifact store, the redacting
 * activity interceptor and, when DRYDOCK_PAYLOAD_KEY is set, the payload codec.
 */
import type { WorkerOptions } from '@temporalio/worker';
import { payloadCodecsFor } from '../activities/security/payload-codec';
import { Redactor } from '../activities/security/redact';
import { RedactingArtifactStore } from '../activities/security/redacting-store';
import { redactingActivityInterceptor } from '../activities/security/redacting-interceptor';
import type { ArtifactStore } from '../activities/store/artifact-store';
import type { DrydockConfig } from './config';

/** The secret values this worker holds: model key, GitHub credentials, payload key, setup secrets, Temporal API key and client key. */
export function workerSecretValues(config: DrydockConfig): string[] {
  const tls = config.temporal?.connectOptions.tls;
  const values = [
    config.temporal?.connectOptions.apiKey,
    typeof tls === 'object' ? tls.clientCertPair?.key.toString('utf8') : undefined,
    config.openaiApiKey,
    ...Object.values(config.modelKeys ?? {}),
    config.github?.token,
    config.github?.appPrivateKey,
    config.security?.payloadKey,
    ...Object.values(config.security?.setupSecrets ?? {}),
  ];
  return values.filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A redactor for token shapes and the exact values of the secrets this worker holds. */
export function workerRedactor(config: DrydockConfig): Redactor {
  return new Redactor(workerSecretValues(config));
}

/** The store wrapped so that every text artifact is redacted. */
export function redactingStore(store: ArtifactStore, config: DrydockConfig): ArtifactStore {
  return store instanceof RedactingArtifactStore ? store : new RedactingArtifactStore(store, workerRedactor(config));
}

/** Worker options every drydock worker runs with: the redacting interceptor and the payload codec. */
export function securityWorkerOptions(config: DrydockConfig): Partial<WorkerOptions> {
  return {
    interceptors: { activity: [redactingActivityInterceptor(workerRedactor(config))] },
    dataConverter: { payloadCodecs: payloadCodecsFor(config.security?.payloadKey) },
  };
}
