/** Thrown when an artifact key is not in the store. */
export class ArtifactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`artifact not found: ${key}`);
    this.name = 'ArtifactNotFoundError';
  }
}

/** Thrown when an artifact key has characters or segments the store refuses. */
export class InvalidArtifactKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid artifact key: ${JSON.stringify(key)}`);
    this.name = 'InvalidArtifactKeyError';
  }
}
