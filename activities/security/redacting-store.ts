/**
 * An ArtifactStore decorator that redacts secrets from every text artifact
 * before it is written: the conversation (so tool output reaches the model
 * redacted), check and setup logs, instructions. Patches (and checkpoint tars,
 * gzipped baselines) are kept verbatim —
 * a redacted patch would no longer apply — and the publish gate refuses any
 * patch that adds a secret.
 */
import type { ArtifactStore } from '../store/artifact-store';
import type { Redactor } from './redact';

/** Keys stored as they are: binary-safe patches and checkpoint tars, which must apply byte for byte, and gzipped records. */
export function isVerbatimArtifact(key: string): boolean {
  return key.endsWith('.patch') || key.endsWith('.tar') || key.endsWith('.gz');
}

/** Wraps a store so that every text put is redacted. */
export class RedactingArtifactStore implements ArtifactStore {
  constructor(
    private readonly inner: ArtifactStore,
    private readonly redactor: Redactor,
  ) {}

  put(key: string, data: Buffer | string): Promise<void> {
    if (isVerbatimArtifact(key)) return this.inner.put(key, data);
    return this.inner.put(
      key,
      typeof data === 'string' ? this.redactor.redact(data) : this.redactor.redactBuffer(data),
    );
  }

  get(key: string): Promise<Buffer> {
    return this.inner.get(key);
  }

  has(key: string): Promise<boolean> {
    return this.inner.has(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}
