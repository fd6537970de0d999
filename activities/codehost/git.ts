/**
 * Safe git on the worker: hooks off, the ext transport forbidden, no
 * submodule recursion, no prompts, no credential helper from the user's config.
 */
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { GitCommandError } from './errors';

/** Options of one git command. */
export interface GitOptions {
  cwd?: string;
  /** Bytes written to git's standard input. */
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** The `-c` settings every git command runs with. */
export const SAFE_GIT_CONFIG = [
  'core.hooksPath=/dev/null',
  'protocol.ext.allow=never',
  'submodule.recurse=false',
  'credential.helper=',
  'core.fsmonitor=false',
  'advice.detachedHead=false',
];

/** Runs git with the safe settings; resolves with stdout, rejects with GitCommandError. */
export function git(args: string[], options: GitOptions = {}): Promise<string> {
  const argv = [...SAFE_GIT_CONFIG.flatMap((c) => ['-c', c]), ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      argv,
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 5 * 60_000,
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          GIT_TERMINAL_PROMPT: '0',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_AUTHOR_NAME: 'drydock',
          GIT_AUTHOR_EMAIL: 'drydock@localhost',
          GIT_COMMITTER_NAME: 'drydock',
          GIT_COMMITTER_EMAIL: 'drydock@localhost',
          ...options.env,
        },
      },
      (err, stdout, stderr) => {
        if (err) reject(new GitCommandError(args, stderr.trim() || err.message));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** What cloning a repository gave. */
export interface ClonedRepository {
  dir: string;
  baseBranch: string;
  baseCommit: string;
}

/** How to reach a repository that needs a credential. */
export interface CloneAuth {
  /** The URL to clone from instead of the repository string. */
  url: string;
  /** Per-command environment carrying the credential (GIT_CONFIG_* with http.extraHeader). */
  env: Record<string, string>;
}

/**
 * Clones one branch of a repository (the remote's default when branch is
 * absent) into dir. With auth, the credential is used for this command only
 * and origin is set back to the plain repository URL.
 */
export async function cloneRepository(repository: string, branch: string | undefined, dir: string, auth?: CloneAuth): Promise<ClonedRepository> {
  const args = ['clone', '--quiet', '--no-recurse-submodules', '--single-branch'];
  if (branch) args.push('--branch', branch);
  await git([...args, '--', auth?.url ?? repository, dir], { env: auth?.env });
  if (auth) await git(['remote', 'set-url', 'origin', repository], { cwd: dir });
  const baseBranch = (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: dir })).trim();
  const baseCommit = (await git(['rev-parse', 'HEAD'], { cwd: dir })).trim();
  return { dir, baseBranch, baseCommit };
}

/**
 * Applies a binary-safe patch in a checkout of the base commit, commits it with
 * the message (hooks off), and returns the new commit.
 */
export async function commitPatch(work: string, patch: Buffer, message: string): Promise<string> {
  const patchFile = path.join(work, '.git', 'drydock.patch');
  await fs.writeFile(patchFile, patch);
  await git(['apply', '--binary', '--index', '--whitespace=nowarn', patchFile], { cwd: work });
  await git(['commit', '--quiet', '--no-verify', '-F', '-'], { cwd: work, input: message });
  return (await git(['rev-parse', 'HEAD'], { cwd: work })).trim();
}
