/**
 * Makes a task's git repository from the fetched source: the package's files,
 * its .gitignore extended with what setup creates, a `.drydock/environment.json`
 * (setup + checks), and the injected bug, committed on `main` as one commit (the
 * "before the fix" state). The gold patch is the injection reversed.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RepoTask } from './manifest';

/** A task's repository, ready for a goal. */
export interface TaskRepo {
  dir: string;
  /** The gold patch: a unified diff that undoes the injection. */
  goldPatch: string;
  /** The tree the gold patch gives on main. */
  goldTree: string;
  /** The files the gold patch changes. */
  goldFiles: string[];
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@drydock.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@drydock.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Runs git in `dir` with no user or system configuration; its output as it is. */
export function gitOutput(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'core.autocrlf=false', ...args], {
    cwd: dir,
    env: GIT_ENV,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs git in `dir` with no user or system configuration; its output without the trailing newline. */
export function gitIn(dir: string, ...args: string[]): string {
  return gitOutput(dir, ...args).replace(/\n$/, '');
}

/** How often `needle` occurs in `text`. */
export function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Applies the bug to `text`; throws naming the manifest when `find` (or then `replace`) is not there exactly once. */
export function injectBug(task: RepoTask, text: string): string {
  const where = `bench/repos/tasks/${task.name}/manifest.json: bug`;
  const found = occurrences(text, task.bug.find);
  if (found !== 1)
    throw new Error(`${where}.find occurs ${found} times in ${task.bug.file} (it must occur exactly once)`);
  const broken = text.replace(task.bug.find, () => task.bug.replace);
  const back = occurrences(broken, task.bug.replace);
  if (back !== 1)
    throw new Error(
      `${where}.replace occurs ${back} times in the broken ${task.bug.file}: the gold patch would be ambiguous`,
    );
  return broken;
}

/** The environment file the harness writes into the task repository. */
export function environmentFile(task: RepoTask): string {
  return `${JSON.stringify({ setup: task.setup, checks: task.checks }, null, 2)}\n`;
}

/** Builds the repository in a new temp folder from the unpacked source. */
export function makeTaskRepo(task: RepoTask, sourceDir: string): TaskRepo {
  const dir = mkdtempSync(path.join(os.tmpdir(), `drydock-bench-${task.name}-`));
  try {
    cpSync(sourceDir, dir, { recursive: true });
    rmSync(path.join(dir, '.git'), { recursive: true, force: true });
    const ignore = path.join(dir, '.gitignore');
    if (task.ignore.length > 0) {
      const had = existsSync(ignore) ? readFileSync(ignore, 'utf8') : '';
      appendFileSync(
        ignore,
        `${had && !had.endsWith('\n') ? '\n' : ''}# created by setup (drydock bench)\n${task.ignore.join('\n')}\n`,
      );
    }
    mkdirSync(path.join(dir, '.drydock'), { recursive: true });
    writeFileSync(path.join(dir, '.drydock', 'environment.json'), environmentFile(task));
    const file = path.join(dir, task.bug.file);
    if (!existsSync(file))
      throw new Error(`bench/repos/tasks/${task.name}/manifest.json: bug.file ${task.bug.file} is not in the package`);
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, injectBug(task, original));
    gitIn(dir, 'init', '-q', '-b', 'main');
    gitIn(dir, 'add', '-A');
    if (gitIn(dir, 'ls-files', '--', task.bug.file) !== task.bug.file)
      throw new Error(`bench/repos/tasks/${task.name}/manifest.json: bug.file ${task.bug.file} is ignored by git`);
    gitIn(
      dir,
      'commit',
      '-q',
      '-m',
      `${task.source.package} ${task.source.version} (bench task ${task.name}: before the fix)`,
    );
    // The gold state: the original file back; its diff and tree, then the broken state again.
    writeFileSync(file, original);
    const goldPatch = gitOutput(dir, 'diff', '--no-color', '--no-ext-diff');
    gitIn(dir, 'add', '-A');
    const goldTree = gitIn(dir, 'write-tree');
    gitIn(dir, 'reset', '-q', '--hard', 'HEAD');
    const goldFiles = gitIn(dir, 'diff', '--name-only', 'HEAD', goldTree).split('\n').filter(Boolean);
    return { dir, goldPatch, goldTree, goldFiles };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
