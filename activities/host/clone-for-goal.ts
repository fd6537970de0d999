/**
 * The goal's repository on the sandbox host: cloned by the worker (hooks off,
 * credentials for this one command only, through a mirror for URLs), at the
 * goal's base commit, with the files exactly the commit's blobs. Also reads the
 * environment file from the base commit here, on the host, so that nothing in
 * the sandbox (a symlinked `.drydock`, a file the agent wrote) decides setup.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import type { ApplicationFailure } from '@temporalio/activity';
import { failure } from '../../workflows/failures';
import {
  checkoutExact,
  cloneRepository,
  git,
  gitBuffer,
  RepositoryTooLargeError,
  type ClonedRepository,
} from '../codehost/git';
import { cloneThroughMirror, isRemoteRepository } from '../codehost/repository-mirror';
import { redactGitHubText, toActivityFailure } from '../codehost/github-errors';
import type { GitAccessResolver } from '../codehost/select-code-host';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import { readNodeHints } from '../environment/node-hints';
import type { NodeHints } from '../environment/node-version';

/** The repository's environment file. */
export const ENVIRONMENT_FILE = '.drydock/environment.json';
/** Bytes of the environment file read. */
const MAX_ENVIRONMENT_BYTES = 64 * 1024;

/** What cloneForGoal needs. */
export interface CloneForGoalOptions {
  repository: string;
  baseBranch?: string;
  /** Pin the clone to this commit (a re-provisioned or verifying sandbox starts from the goal's first base). */
  baseCommit?: string;
  /** Check the files out (exactly); false: objects only. */
  checkout: boolean;
  /** Refuse a checkout whose files add up to more (DRYDOCK_MAX_CLONE_BYTES). */
  maxCheckoutBytes?: number;
  gitAccessFor?: GitAccessResolver;
  mirrorsDir?: string;
}

/** Clones the goal's repository into dir at its base commit; bad repositories and branches are hopeless failures. */
export async function cloneForGoal(dir: string, o: CloneForGoalOptions): Promise<ClonedRepository> {
  const access = await o.gitAccessFor?.(o.repository).catch((err: unknown) => {
    throw toActivityFailure(err);
  });
  const pinned = o.baseCommit !== undefined;
  const options = { checkout: o.checkout && !pinned, maxCheckoutBytes: o.maxCheckoutBytes };
  let cloned: ClonedRepository;
  try {
    cloned =
      o.mirrorsDir && isRemoteRepository(o.repository)
        ? await cloneThroughMirror(o.mirrorsDir, o.repository, o.baseBranch, dir, access, options)
        : await cloneRepository(o.repository, o.baseBranch, dir, access, options);
  } catch (err) {
    throw cloneFailure(
      err,
      `cannot clone ${o.repository}${o.baseBranch ? ` (branch ${o.baseBranch})` : ''}`,
      access?.secrets ?? [],
    );
  }
  if (!pinned) return cloned;
  const commit = o.baseCommit ?? cloned.baseCommit;
  try {
    if (commit !== cloned.baseCommit) await fetchCommit(dir, commit);
    if (o.checkout) await checkoutExact(dir, commit, o.maxCheckoutBytes);
  } catch (err) {
    throw cloneFailure(
      err,
      `cannot check out the goal's base commit ${commit} of ${o.repository}`,
      access?.secrets ?? [],
    );
  }
  return { ...cloned, baseCommit: commit };
}

/** A clone problem as the goal's failure: too large, or an unusable repository (never retried). */
function cloneFailure(err: unknown, what: string, secrets: string[]): ApplicationFailure {
  if (err instanceof RepositoryTooLargeError) return failure('RepositoryTooLarge', `${what}: ${err.message}`);
  const detail = redactGitHubText(err instanceof Error ? err.message : String(err), secrets);
  return failure('InvalidRepository', `${what}: ${detail}`);
}

/** Makes sure the clone has a commit (fetched from origin when the single-branch clone lacks it). */
async function fetchCommit(dir: string, commit: string): Promise<void> {
  await git(['cat-file', '-e', `${commit}^{commit}`], { cwd: dir }).catch(() =>
    git(['fetch', '--quiet', 'origin', commit], { cwd: dir }),
  );
}

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

/**
 * Reads `.drydock/environment.json` (and the Node version hints, node-hints.ts)
 * from the commit in the clone (never from a work tree) and stores it for the setup phase. A `.drydock` or environment
 * file that is a symlink or not a file is refused.
 */
export async function recordEnvironmentFile(
  store: ArtifactStore,
  goalId: string,
  dir: string,
  commit: string,
): Promise<void> {
  const listing = (
    await gitBuffer(['ls-tree', '-z', commit, '--', '.drydock', ENVIRONMENT_FILE], { cwd: dir, isolated: true })
  ).toString('utf8');
  const entries = listing
    .split('\0')
    .filter(Boolean)
    .map((e) => ({ mode: e.split(' ')[0] ?? '', type: e.split(' ')[1] ?? '', path: e.slice(e.indexOf('\t') + 1) }));
  const folder = entries.find((e) => e.path === '.drydock');
  const file = entries.find((e) => e.path === ENVIRONMENT_FILE);
  if (folder && folder.type !== 'tree') {
    throw failure(
      'InvalidEnvironment',
      `.drydock must be a folder in the repository, not a ${folder.mode === '120000' ? 'symlink' : 'file'}`,
    );
  }
  if (file && (file.type !== 'blob' || file.mode === '120000')) {
    throw failure(
      'InvalidEnvironment',
      `${ENVIRONMENT_FILE} must be a regular file, not a ${file.mode === '120000' ? 'symlink' : file.type}`,
    );
  }
  let text: string | null = null;
  if (file) {
    const bytes = await gitBuffer(['cat-file', 'blob', `${commit}:${ENVIRONMENT_FILE}`], { cwd: dir, isolated: true });
    if (bytes.length > MAX_ENVIRONMENT_BYTES)
      throw failure('InvalidEnvironment', `${ENVIRONMENT_FILE} is larger than ${MAX_ENVIRONMENT_BYTES} bytes`);
    text = bytes.toString('utf8');
  }
  const record: EnvironmentRecord = { text, nodeHints: await readNodeHints(dir, commit) };
  await store.put(environmentRecordKey(goalId), JSON.stringify(record));
}

/** The environment file recorded for a goal; a goal whose repository was not copied yet is an error (retried). */
export async function readEnvironmentRecord(store: ArtifactStore, goalId: string): Promise<EnvironmentRecord> {
  return JSON.parse((await store.get(environmentRecordKey(goalId))).toString('utf8')) as EnvironmentRecord;
}

/** A tar stream of a folder with every entry owned by the sandbox user. */
export function tarOf(dir: string): NodeJS.ReadableStream {
  const child = spawn('tar', ['--owner=1000', '--group=1000', '--numeric-owner', '-C', dir, '-c', '.'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return child.stdout;
}

/** Appends ignore lines to a clone's .git/info/exclude (the agent's own git then leaves caches alone). */
export async function excludeInClone(dir: string, lines: readonly string[]): Promise<void> {
  await fs.appendFile(path.join(dir, '.git', 'info', 'exclude'), `\n${lines.join('\n')}\n`);
}
