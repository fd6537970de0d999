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

/** The environment file as read from the base commit: its text, or null when the repository has none; and the Node version the repository's other files name. */
export interface EnvironmentRecord {
  text: string | null;
  /** `.nvmrc`, `.node-version`, package.json engines.node at the base commit (absent in records made before them). */
  nodeHints?: NodeHints;
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
): Promise<void> {
  const text = await readEnvironmentText(dir, commit);
  parseEnvironmentFile(text);
  const record: EnvironmentRecord = { text, nodeHints: await readNodeHints(dir, commit) };
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
