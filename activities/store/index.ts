export type { ArtifactStore } from './artifact-store';
export { FsArtifactStore } from './fs-store';
export { ArtifactNotFoundError, InvalidArtifactKeyError } from './errors';
export * from './conversation';
