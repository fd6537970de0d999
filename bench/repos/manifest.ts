/**
 * A real-repos bench task is data: `bench/repos/tasks/<name>/manifest.json`
 * names a released package (registry, exact version), the bug injected into
 * its source (an exact find/replace in one file), the setup script and the
 * checks. This file reads and validates those manifests, with one clear
 * message per problem that names the file and the field.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The registries a task's source can come from, and their languages. */
export const REGISTRIES = {
  pypi: 'python',
  npm: 'javascript',
  go: 'go',
  crates: 'rust',
} as const;

/** A registry name: pypi (sdist), npm (tarball), go (module zip), crates (.crate). */
export type Registry = keyof typeof REGISTRIES;

/** Where a task's source comes from: a package at an exact version. */
export interface TaskSource {
  registry: Registry;
  /** The package, module path or crate name. */
  package: string;
  /** An exact version (`1.0.0`; a Go module's `v1.6.0`). */
  version: string;
}

/** The injected bug (SWE-smith style): `find` occurs exactly once in `file` and becomes `replace`. */
export interface TaskBug {
  file: string;
  find: string;
  replace: string;
  /** What kind of mutation: a mutated condition, an off-by-one, a wrong operator… */
  kind: string;
}

/** One task as its manifest states it. */
export interface RepoTask {
  /** The folder name. */
  name: string;
  language: 'python' | 'javascript' | 'go' | 'rust';
  source: TaskSource;
  bug: TaskBug;
  /** Lines appended to the repository's .gitignore (what setup creates: a venv, node_modules, target/). */
  ignore: string[];
  /** The setup script (.drydock/environment.json `setup`), run with network before the agent. */
  setup: string;
  /** The check commands (.drydock/environment.json `checks`, and the goal's checks). */
  checks: string[];
  /** The goal's text. */
  goal: string;
}

/** The folder holding one folder per task. */
export function tasksDir(root: string): string {
  return path.join(root, 'bench', 'repos', 'tasks');
}

/** Reads every task under `dir`, sorted by name; throws one message listing every problem found. */
export function loadTasks(dir: string): RepoTask[] {
  if (!existsSync(dir)) throw new Error(`bench:repos: no task folder at ${dir}`);
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const problems: string[] = [];
  const tasks: RepoTask[] = [];
  for (const name of names) {
    const file = path.join(dir, name, 'manifest.json');
    try {
      tasks.push(parseManifest(name, file, readFileSync(file, 'utf8')));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return tasks;
}

const KEYS = ['language', 'source', 'bug', 'ignore', 'setup', 'checks', 'goal', 'notes'];

/** Parses one manifest; every problem is named with the file and the field. */
export function parseManifest(name: string, file: string, text: string): RepoTask {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const bad = (field: string, want: string) => problems.push(`${file}: ${field} must be ${want}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: must be a JSON object`);
  const m = raw as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!KEYS.includes(key)) problems.push(`${file}: unknown key "${key}"`);
  const str = (v: unknown) => typeof v === 'string' && v.trim() !== '';
  const source = (m.source ?? {}) as Record<string, unknown>;
  const registry = source.registry as Registry;
  if (!(typeof registry === 'string' && registry in REGISTRIES)) bad('source.registry', 'one of pypi, npm, go, crates');
  if (!str(source.package)) bad('source.package', 'a package name');
  if (!str(source.version) || !/^v?\d+\.\d+\.\d+[\w.+-]*$/.test(String(source.version)))
    bad('source.version', 'an exact version such as 1.0.0 (v1.6.0 for a Go module)');
  if (registry in REGISTRIES && m.language !== REGISTRIES[registry])
    bad('language', `"${REGISTRIES[registry]}" for the ${registry} registry`);
  const bug = (m.bug ?? {}) as Record<string, unknown>;
  if (!str(bug.file) || path.isAbsolute(String(bug.file)) || String(bug.file).split('/').includes('..'))
    bad('bug.file', 'a relative path inside the package');
  if (!str(bug.find)) bad('bug.find', 'the exact text to replace');
  if (typeof bug.replace !== 'string' || bug.replace === bug.find) bad('bug.replace', 'text different from bug.find');
  if (!str(bug.kind)) bad('bug.kind', 'the kind of mutation (e.g. "off-by-one")');
  const ignore = m.ignore ?? [];
  if (!Array.isArray(ignore) || !ignore.every(str)) bad('ignore', 'a list of .gitignore lines');
  if (!str(m.setup)) bad('setup', 'a setup script');
  if (!Array.isArray(m.checks) || m.checks.length === 0 || !m.checks.every(str))
    bad('checks', 'a non-empty list of commands');
  if (m.goal !== undefined && !str(m.goal)) bad('goal', 'the goal text');
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    name,
    language: m.language as RepoTask['language'],
    source: { registry, package: String(source.package), version: String(source.version) },
    bug: { file: String(bug.file), find: String(bug.find), replace: String(bug.replace), kind: String(bug.kind) },
    ignore: ignore as string[],
    setup: String(m.setup),
    checks: m.checks as string[],
    goal: typeof m.goal === 'string' ? m.goal : `Some of the tests of ${String(source.package)} fail: fix the bug.`,
  };
}
