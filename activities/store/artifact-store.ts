/**
 * The ArtifactStore port: the claim check. Anything that grows (the
 * conversation, tool output, diffs, logs) is put here and history carries the key.
 */

/** Put / get of byte blobs by key. Keys are `/`-separated, e.g. `goals/<id>/conversation/0003.json`. */
export interface ArtifactStore {
  put(key: string, data: Buffer | string): Promise<void>;
  /** Throws ArtifactNotFoundError when the key is absent. */
  get(key: string): Promise<Buffer>;
  has(key: string): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
}
