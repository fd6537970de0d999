/**
 * The goal's repository on the sandbox host: cloned by the worker (hooks off,
 * credentials for this one command only, through a mirror for URLs), at the
 * goal's base commit, with the files exactly the commit's blobs (what the
 * repository says about itself is read from it in goal-environment.ts).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import type { ApplicationFailure } from '@temporalio/activity';
import { failure } from '../../workflows/failures';
import { checkoutExact, cloneRepository, git, RepositoryTooLargeError, type ClonedRepository } from '../codehost/git';
import { cloneThroughMirror, isRemoteRepository } from '../codehost/repository-mirror';
import { redactGitHubText, toActivityFailure } from '../codehost/github-errors';
import type { GitAccessResolver } from '../codehost/select-code-host';

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
