/**
 * A goal's environment as its repository declares it, read on the host from
 * the base commit when the repository is copied (so that nothing in the
 * sandbox, a symlinked `.drydock` or a file the agent wrote, decides setup,
 * checks or env) and kept in the store for the activities that follow.
 */
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import { parseEnvironmentFile, type EnvironmentFile } from '../environment/environment-file';
import { readNodeHints } from '../environment/node-hints';
import type { NodeHints } from '../environment/node-version';
import { readCommitFacts, readEnvironmentText, type CommitFacts } from '../environment/repository-facts';
import { readCommitTreeFacts } from '../environment/environment-cache-key';

/** The environment file as read from the base commit: its text, or null when the repository has none; and the Node version the repository's other files name. */
export interface EnvironmentRecord {
  text: string | null;
  /** `.nvmrc`, `.node-version`, package.json engines.node at the base commit (absent in records made before them). */
  nodeHints?: NodeHints;
  /** What keys a cached environment, read from the base commit (absent in records made before the cache). */
  cache?: EnvironmentCacheFacts;
}

/** The base commit's part of an environment cache key (environment-cache-key.ts). */
export interface EnvironmentCacheFacts {
  repository: string;
  commit: string;
  /** SHA-256 over the dependency manifests' and lockfiles' paths and blob ids. */
  dependencies: string;
  dependencyFiles: string[];
}

/** Store key of the paths a goal's base commit tracks (NUL-separated, latin1). */
export function trackedPathsKey(goalId: string): string {
  return `${goalPrefix(goalId)}/tracked-paths`;
}

/** Store key of the environment file read from a goal's base commit. */
export function environmentRecordKey(goalId: string): string {
  return `${goalPrefix(goalId)}/environment.json`;
}

/** Store key of the repository facts read from a goal's base commit. */
export function factsRecordKey(goalId: string): string {
  return `${goalPrefix(goalId)}/repository-facts.json`;
}

/**
 * Reads the environment file and the repository facts from the commit in the
 * clone and stores them; an invalid environment file is a hopeless
 * InvalidEnvironment failure listing every problem, before anything runs.
 */
export async function recordRepository(
  store: ArtifactStore,
  goalId: string,
  dir: string,
  commit: string,
  repository?: string,
): Promise<void> {
  const text = await readEnvironmentText(dir, commit);
  parseEnvironmentFile(text);
  const record: EnvironmentRecord = { text, nodeHints: await readNodeHints(dir, commit) };
  if (repository !== undefined) {
    const tree = await readCommitTreeFacts(dir, commit);
    record.cache = { repository, commit, dependencies: tree.dependencies, dependencyFiles: tree.dependencyFiles };
    await store.put(trackedPathsKey(goalId), Buffer.from(tree.tracked.join('\0'), 'latin1'));
  }
  await store.put(environmentRecordKey(goalId), JSON.stringify(record));
  await store.put(factsRecordKey(goalId), JSON.stringify(await readCommitFacts(dir, commit)));
}

/** The environment file recorded for a goal; a goal whose repository was not copied yet is an error (retried). */
export async function readEnvironmentRecord(store: ArtifactStore, goalId: string): Promise<EnvironmentRecord> {
  return JSON.parse((await store.get(environmentRecordKey(goalId))).toString('utf8')) as EnvironmentRecord;
}

/** The goal's parsed environment file. */
export async function readGoalEnvironment(store: ArtifactStore, goalId: string): Promise<EnvironmentFile> {
  return parseEnvironmentFile((await readEnvironmentRecord(store, goalId)).text);
}

/** The repository facts recorded for a goal; undefined for a goal copied before drydock recorded them. */
export async function readFactsRecord(store: ArtifactStore, goalId: string): Promise<CommitFacts | undefined> {
  if (!(await store.has(factsRecordKey(goalId)))) return undefined;
  return JSON.parse((await store.get(factsRecordKey(goalId))).toString('utf8')) as CommitFacts;
}

/** The paths a goal's base commit tracks (latin1 strings). */
export async function readTrackedPaths(store: ArtifactStore, goalId: string): Promise<Set<string>> {
  const raw = (await store.get(trackedPathsKey(goalId))).toString('latin1');
  return new Set(raw === '' ? [] : raw.split('\0'));
}
