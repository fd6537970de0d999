/**
 * A bare mirror per repository on the sandbox host (DRYDOCK_DATA_DIR/mirrors-sandbox/<hash>.git),
 * refreshed with one fetch per goal, so that a goal's copy is a local clone of the
 * mirror (hard-linked objects, no network) rather than a clone from scratch.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkoutExact, git, type CloneAuth, type ClonedRepository, type CloneOptions } from './git';

/** Refreshes in flight per mirror: at most one running and one queued behind it. */
const refreshes = new Map<string, { running?: Promise<void>; queued?: Promise<void> }>();

/**
 * True for a repository reached over a transport (a URL or host:path). A local
 * path needs no mirror: git's local clone hard-links its objects already.
 */
export function isRemoteRepository(repository: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || /^[^/\\]+@[^/\\:]+:/.test(repository);
}

/** Path of a repository's mirror under mirrorsDir. */
export function mirrorPathFor(mirrorsDir: string, repository: string): string {
  return path.join(mirrorsDir, `${createHash('sha256').update(repository).digest('hex').slice(0, 24)}.git`);
}

/**
 * Clones one branch (the repository's default when absent) into dir through the
 * repository's mirror, which is created or fetched first. origin in dir is the
 * repository itself, as with a direct clone.
 */
export async function cloneThroughMirror(
  mirrorsDir: string,
  repository: string,
  branch: string | undefined,
  dir: string,
  auth?: CloneAuth,
  options: CloneOptions = {},
): Promise<ClonedRepository> {
  const mirror = mirrorPathFor(mirrorsDir, repository);
  await refreshMirror(mirror, repository, auth);
  const baseBranch = branch ?? (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: mirror })).trim();
  const args = [
    'clone',
    '--quiet',
    '--no-checkout',
    '--local',
    '--no-recurse-submodules',
    '--single-branch',
    '--branch',
    baseBranch,
    '--',
    mirror,
    dir,
  ];
  await git(args);
  await git(['remote', 'set-url', 'origin', repository], { cwd: dir });
  const baseCommit = (await git(['rev-parse', 'HEAD'], { cwd: dir })).trim();
  if (options.checkout ?? true) await checkoutExact(dir, baseCommit, options.maxCheckoutBytes);
  return { dir, baseBranch, baseCommit };
}

/**
 * Brings the mirror up to date with the repository. A caller that arrives while a
 * fetch runs waits for the next one (which starts after its arrival); callers that
 * arrive together share that next fetch.
 */
function refreshMirror(mirror: string, repository: string, auth: CloneAuth | undefined): Promise<void> {
  const state = refreshes.get(mirror) ?? {};
  refreshes.set(mirror, state);
  if (state.queued) return state.queued;
  const run = (): Promise<void> => {
    const p = fetchOrCreate(mirror, repository, auth).finally(() => {
      if (state.running === p) state.running = undefined;
      if (!state.running && !state.queued) refreshes.delete(mirror);
    });
    state.running = p;
    return p;
  };
  if (!state.running) return run();
  const queued = state.running
    .catch(() => undefined)
    .then(() => {
      state.queued = undefined;
      return run();
    });
  state.queued = queued;
  return queued;
}

async function fetchOrCreate(mirror: string, repository: string, auth: CloneAuth | undefined): Promise<void> {
  const source = auth?.url ?? repository;
  const options = { env: auth?.env };
  if (await exists(path.join(mirror, 'HEAD'))) {
    await git(
      [
        'fetch',
        '--quiet',
        '--prune',
        '--no-recurse-submodules',
        '--',
        source,
        '+refs/heads/*:refs/heads/*',
        '+refs/tags/*:refs/tags/*',
      ],
      { ...options, cwd: mirror },
    );
    return;
  }
  await fs.mkdir(path.dirname(mirror), { recursive: true });
  const tmp = `${mirror}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await git(['clone', '--quiet', '--mirror', '--no-recurse-submodules', '--', source, tmp], options);
    // Only the plain repository is remembered: a credential never stays in a mirror.
    await git(['remote', 'set-url', 'origin', repository], { cwd: tmp });
    await fs.rename(tmp, mirror).catch(async (err: NodeJS.ErrnoException) => {
      // Another worker sharing the data dir made it first; theirs is as good.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
