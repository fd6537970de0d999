/**
 * What a repository says about itself, read on the host from a commit's
 * objects (never from a work tree, whose symlinks could point anywhere): the
 * environment file, AGENTS.md, and the root files check detection reads. A
 * sandbox worker reads them from a goal's base commit; `drydock doctor --repo`
 * from a local repository's HEAD.
 */
import { failure } from '../../workflows/failures';
import { gitBuffer } from '../codehost/git';
import type { RepositoryFacts } from './detect-checks';
import { ENVIRONMENT_FILE } from './environment-file';

/** Bytes of the environment file read. */
const MAX_ENVIRONMENT_BYTES = 64 * 1024;
/** Bytes of AGENTS.md and of each file detection reads. */
export const MAX_FACT_FILE_BYTES = 32 * 1024;

/** The facts of a commit, with AGENTS.md's text. */
export interface CommitFacts extends RepositoryFacts {
  /** AGENTS.md (at most MAX_FACT_FILE_BYTES), when the root has one. */
  agents?: string;
}

/** One entry of `git ls-tree -l`. */
interface TreeEntry {
  mode: string;
  type: string;
  size: number;
  path: string;
}

async function listTree(dir: string, commit: string, args: string[]): Promise<TreeEntry[]> {
  const out = await gitBuffer(['ls-tree', '-z', '-l', ...args, commit, '--'], { cwd: dir, isolated: true });
  return out
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [mode = '', type = '', , size = '0'] = line.slice(0, line.indexOf('\t')).split(/\s+/);
      return { mode, type, size: Number(size) || 0, path: line.slice(line.indexOf('\t') + 1) };
    });
}

/** A regular file (not a symlink, not a submodule) of a tree listing. */
function isRegularFile(e: TreeEntry): boolean {
  return e.type === 'blob' && (e.mode === '100644' || e.mode === '100755');
}

async function readBlob(dir: string, commit: string, file: string, limit: number): Promise<string> {
  const bytes = await gitBuffer(['cat-file', 'blob', `${commit}:${file}`], { cwd: dir, isolated: true });
  return bytes.subarray(0, limit).toString('utf8');
}

/**
 * The environment file of a commit: its text, or null when there is none. A
 * `.drydock` or environment file that is a symlink or not a file, or a file
 * too large, is a hopeless InvalidEnvironment failure.
 */
export async function readEnvironmentText(dir: string, commit: string): Promise<string | null> {
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
  if (!file) return null;
  const bytes = await gitBuffer(['cat-file', 'blob', `${commit}:${ENVIRONMENT_FILE}`], { cwd: dir, isolated: true });
  if (bytes.length > MAX_ENVIRONMENT_BYTES)
    throw failure('InvalidEnvironment', `${ENVIRONMENT_FILE} is larger than ${MAX_ENVIRONMENT_BYTES} bytes`);
  return bytes.toString('utf8');
}

/** Root files whose text detection reads, by the fact that holds it. */
const FACT_FILES = {
  packageJson: 'package.json',
  makefile: 'Makefile',
  pyprojectToml: 'pyproject.toml',
  setupCfg: 'setup.cfg',
  agents: 'AGENTS.md',
} as const;

/** Folders never searched for Python tests. */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules', '.venv', 'venv']);

/** Reads the facts of a commit in a clone (regular files only; a symlinked Makefile counts as absent). */
export async function readCommitFacts(dir: string, commit: string): Promise<CommitFacts> {
  const root = await listTree(dir, commit, []);
  const facts: CommitFacts = { rootEntries: root.map((e) => e.path).sort(), hasPythonTests: false };
  for (const [key, name] of Object.entries(FACT_FILES) as [keyof typeof FACT_FILES, string][]) {
    const entry = root.find((e) => e.path === name);
    // A file far larger than what is read is not worth reading at all.
    if (entry && isRegularFile(entry) && entry.size <= 1024 * 1024)
      facts[key] = await readBlob(dir, commit, name, MAX_FACT_FILE_BYTES);
  }
  const all = await gitBuffer(['ls-tree', '-r', '-z', '--name-only', commit, '--'], { cwd: dir, isolated: true });
  facts.hasPythonTests = all
    .toString('utf8')
    .split('\0')
    .some((p) => {
      const parts = p.split('/');
      const base = parts[parts.length - 1] ?? '';
      return (
        parts.length <= 3 &&
        parts.slice(0, -1).every((d) => !SKIPPED_FOLDERS.has(d)) &&
        base.endsWith('.py') &&
        (base.startsWith('test_') || base.endsWith('_test.py'))
      );
    });
  return facts;
}
