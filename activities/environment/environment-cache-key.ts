/**
 * What keys a cached environment, read on the host from the base commit's
 * objects (never from a work tree or a sandbox): the dependency manifests and
 * lockfiles by blob id, and the paths the commit tracks (a snapshot holds only
 * what setup made beside them). The key itself also takes the repository, the
 * environment file, the setup script, the sandbox image and the toolchain.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { gitBuffer } from '../codehost/git';

/** File names whose content decides what setup installs (anywhere in the tree). */
export const DEPENDENCY_FILE_NAMES: ReadonlySet<string> = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'yarn.lock',
  '.yarnrc.yml',
  '.npmrc',
  '.nvmrc',
  '.node-version',
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'poetry.lock',
  'uv.lock',
  'Pipfile',
  'Pipfile.lock',
  'go.mod',
  'go.sum',
  'Cargo.toml',
  'Cargo.lock',
  'rust-toolchain',
  'rust-toolchain.toml',
  'Gemfile',
  'Gemfile.lock',
]);

/** Whether a tracked path is a dependency manifest or lockfile. */
export function isDependencyFile(file: string): boolean {
  const name = path.posix.basename(file);
  return DEPENDENCY_FILE_NAMES.has(name) || /^requirements.*\.(txt|in)$/.test(name);
}

/** The commit's tree as the cache sees it. */
export interface CommitTreeFacts {
  /** SHA-256 over the dependency files' paths and blob ids. */
  dependencies: string;
  /** The dependency files found (paths). */
  dependencyFiles: string[];
  /** Every path the commit tracks (files, links, submodules), as latin1 strings (one character per byte). */
  tracked: string[];
}

/** Reads the commit's tree in the clone `dir` (git's own `ls-tree`, no configuration from the repository). */
export async function readCommitTreeFacts(dir: string, commit: string): Promise<CommitTreeFacts> {
  const out = await gitBuffer(['ls-tree', '-r', '-z', '--full-tree', commit], {
    cwd: dir,
    isolated: true,
    maxOutputBytes: 256 * 1024 ** 2,
  });
  const tracked: string[] = [];
  const deps: string[] = [];
  for (const line of out.toString('latin1').split('\0')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const file = line.slice(tab + 1);
    const object = line.slice(0, tab).split(' ')[2] ?? '';
    tracked.push(file);
    if (isDependencyFile(file)) deps.push(`${file}\0${object}`);
  }
  deps.sort();
  const hash = createHash('sha256');
  for (const d of deps) hash.update(Buffer.from(`${d}\n`, 'latin1'));
  return {
    dependencies: hash.digest('hex'),
    dependencyFiles: deps.map((d) => Buffer.from(d.slice(0, d.indexOf('\0')), 'latin1').toString('utf8')),
    tracked,
  };
}

/** Everything that keys a cached environment. */
export interface EnvironmentKeyParts {
  repository: string;
  /** The environment file's text at the base commit (null: none). */
  environmentFile: string | null;
  /** The setup script that runs (the goal's or the file's). */
  setupScript: string;
  /** Names of the setup secrets (never their values). */
  secretNames: string[];
  /** CommitTreeFacts.dependencies. */
  dependencies: string;
  /** The sandbox image's id as the engine reports it. */
  imageId: string;
  /** The Node the sandbox runs (sandbox-node.ts's line), or '' for the image's. */
  toolchain: string;
}

/** The cache key: SHA-256 of the parts. */
export function environmentKey(parts: EnvironmentKeyParts): string {
  const canonical = JSON.stringify([
    'drydock-environment-v1',
    parts.repository,
    parts.environmentFile,
    parts.setupScript,
    [...parts.secretNames].sort(),
    parts.dependencies,
    parts.imageId,
    parts.toolchain,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** What a placement key takes: the key's parts that every host computes alike from the base commit and the goal. */
export type PlacementKeyParts = Omit<EnvironmentKeyParts, 'imageId' | 'toolchain'>;

/**
 * The key hosts advertise a cached environment under and goals are placed by:
 * the cache key without the sandbox image and the toolchain, which only the
 * host that runs the sandbox knows (a host advertises only entries made with
 * its current image; the host itself still decides a hit by the full key).
 */
export function placementKey(parts: PlacementKeyParts): string {
  const canonical = JSON.stringify([
    'drydock-placement-v1',
    parts.repository,
    parts.environmentFile,
    parts.setupScript,
    [...parts.secretNames].sort(),
    parts.dependencies,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
