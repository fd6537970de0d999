/**
 * Safe git on the worker: hooks off, the ext transport forbidden, no
 * submodule recursion, no prompts, no credential helper from the user's config.
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import { mkdtempSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GitCommandError } from './errors';

/** Options of one git command. */
export interface GitOptions {
  cwd?: string;
  /** Bytes written to git's standard input. */
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
  /**
   * Read no configuration but the repository's own: no system or global git
   * config, no user attributes or excludes. For every git that handles content
   * (checkout, apply, the change), so the worker's user config cannot alter it.
   */
  isolated?: boolean;
}

/** An empty folder used as HOME and XDG_CONFIG_HOME of isolated git commands. */
let emptyHome: string | undefined;
function isolatedEnv(): Record<string, string> {
  emptyHome ??= mkdtempSync(path.join(os.tmpdir(), 'drydock-git-home-'));
  return {
    HOME: emptyHome,
    XDG_CONFIG_HOME: emptyHome,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
  };
}

/** Extra `-c` settings of isolated commands: no attributes beyond the repository's info/attributes. */
const ISOLATED_GIT_CONFIG = [
  'core.attributesFile=/dev/null',
  'core.excludesFile=/dev/null',
  'core.autocrlf=false',
  'core.safecrlf=false',
  'core.symlinks=true',
];

/**
 * Attributes that switch off every content conversion git could apply on
 * checkout, add or apply (end-of-line, ident, filters, encodings). Written to a
 * clone's .git/info/attributes, which outranks every .gitattributes in the tree,
 * so the files in a workspace are exactly the blobs of the commit.
 */
export const NEUTRAL_ATTRIBUTES = '* -text -ident -filter -working-tree-encoding\n';

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
export async function git(args: string[], options: GitOptions = {}): Promise<string> {
  return (await gitBuffer(args, options)).toString('utf8');
}

/** The command line and environment of a git command with the safe settings. */
function gitInvocation(args: string[], options: GitOptions): { argv: string[]; env: NodeJS.ProcessEnv } {
  const config = options.isolated ? [...SAFE_GIT_CONFIG, ...ISOLATED_GIT_CONFIG] : SAFE_GIT_CONFIG;
  return {
    argv: [...config.flatMap((c) => ['-c', c]), ...args],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'drydock',
      GIT_AUTHOR_EMAIL: 'drydock@localhost',
      GIT_COMMITTER_NAME: 'drydock',
      GIT_COMMITTER_EMAIL: 'drydock@localhost',
      ...(options.isolated ? isolatedEnv() : {}),
      ...options.env,
    },
  };
}

/** Runs git with the safe settings; resolves with stdout as bytes (paths with any bytes survive). */
export function gitBuffer(args: string[], options: GitOptions & { maxOutputBytes?: number } = {}): Promise<Buffer> {
  const { argv, env } = gitInvocation(args, options);
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      argv,
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 5 * 60_000,
        maxBuffer: options.maxOutputBytes ?? 256 * 1024 * 1024,
        encoding: 'buffer',
        env,
      },
      (err, stdout, stderr) => {
        if (err) reject(new GitCommandError(args, stderr.toString('utf8').trim() || err.message));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Starts git with the safe settings and piped stdio, for commands fed a stream (fast-import). */
export function spawnGit(args: string[], options: GitOptions = {}): ChildProcess {
  const { argv, env } = gitInvocation(args, options);
  return spawn('git', argv, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** Options of cloneRepository. */
export interface CloneOptions {
  /** Check the files out (exactly, see checkoutExact); default true. */
  checkout?: boolean;
  /** Refuse a checkout whose files add up to more bytes than this. */
  maxCheckoutBytes?: number;
}

/**
 * Clones one branch of a repository (the remote's default when branch is
 * absent) into dir. With auth, the credential is used for this command only
 * and origin is set back to the plain repository URL.
 */
export async function cloneRepository(
  repository: string,
  branch: string | undefined,
  dir: string,
  auth?: CloneAuth,
  options: CloneOptions = {},
): Promise<ClonedRepository> {
  const args = ['clone', '--quiet', '--no-checkout', '--no-recurse-submodules', '--single-branch'];
  if (branch) args.push('--branch', branch);
  await git([...args, '--', auth?.url ?? repository, dir], { env: auth?.env });
  if (auth) await git(['remote', 'set-url', 'origin', repository], { cwd: dir });
  const baseBranch = (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: dir })).trim();
  const baseCommit = (await git(['rev-parse', 'HEAD'], { cwd: dir })).trim();
  if (options.checkout ?? true) await checkoutExact(dir, baseCommit, options.maxCheckoutBytes);
  return { dir, baseBranch, baseCommit };
}

/** Thrown when a commit's files add up to more than the clone size limit. */
export class RepositoryTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `the repository's files at its base commit add up to ${formatBytes(bytes)}, more than the clone limit of ${formatBytes(limit)} (DRYDOCK_MAX_CLONE_BYTES)`,
    );
    this.name = 'RepositoryTooLargeError';
  }
}

/** Bytes as a short human figure (`1.5 GiB`). */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** The size of every file of a commit added up, from the object database (nothing is written). */
export async function checkoutBytes(dir: string, commit: string): Promise<number> {
  const listing = await git(['ls-tree', '-r', '-l', '-z', commit], { cwd: dir, isolated: true });
  let total = 0;
  for (const entry of listing.split('\0')) {
    const m = /^\d+ blob [0-9a-f]+ +(\d+)\t/.exec(entry);
    if (m) total += Number(m[1]);
  }
  return total;
}

/**
 * Makes the index and the files of dir exactly the commit (HEAD moves to it,
 * detached unless it is the branch tip): no end-of-line, ident, filter or
 * encoding conversion (NEUTRAL_ATTRIBUTES), no user config. A commit whose
 * files add up to more than maxBytes is refused before anything is written.
 */
export async function checkoutExact(dir: string, commit: string, maxBytes?: number): Promise<void> {
  if (maxBytes !== undefined) {
    const bytes = await checkoutBytes(dir, commit);
    if (bytes > maxBytes) throw new RepositoryTooLargeError(bytes, maxBytes);
  }
  await fs.mkdir(path.join(dir, '.git', 'info'), { recursive: true });
  await fs.writeFile(path.join(dir, '.git', 'info', 'attributes'), NEUTRAL_ATTRIBUTES);
  await git(['reset', '--quiet', '--hard', commit], { cwd: dir, isolated: true });
}

/** Thrown when the tree a patch gives on the base commit is not the tree that was verified. */
export class ChangeMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `the change applied to its base commit gives tree ${actual.slice(0, 12)}, not the verified tree ${expected.slice(0, 12)}; nothing was published`,
    );
    this.name = 'ChangeMismatchError';
  }
}

/**
 * Applies a binary-safe patch to the base commit in the index only (no file
 * of the work tree is read or written, no conversion, no user config),
 * checks that the result is the expected tree when one is given, commits it
 * with the message (no hook runs for commit-tree) and moves HEAD to it.
 */
export async function commitPatch(
  work: string,
  baseCommit: string,
  patch: Buffer,
  message: string,
  expectedTree?: string,
): Promise<string> {
  const patchFile = path.join(work, '.git', 'drydock.patch');
  await fs.mkdir(path.join(work, '.git', 'info'), { recursive: true });
  await fs.writeFile(path.join(work, '.git', 'info', 'attributes'), NEUTRAL_ATTRIBUTES);
  await fs.writeFile(patchFile, patch);
  const options = { cwd: work, isolated: true };
  await git(['read-tree', baseCommit], options);
  if (patch.length > 0) await git(['apply', '--cached', '--binary', '--whitespace=nowarn', patchFile], options);
  const tree = (await git(['write-tree'], options)).trim();
  if (expectedTree !== undefined && tree !== expectedTree) throw new ChangeMismatchError(expectedTree, tree);
  const commit = (await git(['commit-tree', tree, '-p', baseCommit, '-F', '-'], { ...options, input: message })).trim();
  await git(['update-ref', '--no-deref', 'HEAD', commit], options);
  return commit;
}
