/** Git repositories for tests, made from the folders in test/fixtures. */
import { execFileSync } from 'child_process';
import { cpSync, mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Absolute path of a fixture folder. */
export function fixturePath(name: string): string {
  return path.join(__dirname, '..', 'fixtures', name);
}

/** Runs git in a folder and returns its trimmed output. */
export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
}

/** Copies a fixture into a fresh folder and commits it on `main`; returns the repository path. */
export function makeGitRepo(fixture: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `drydock-${fixture}-`));
  made.push(dir);
  cpSync(fixturePath(fixture), dir, { recursive: true });
  gitIn(dir, 'init', '-q', '-b', 'main');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

const made: string[] = [];

/** Removes every repository makeGitRepo made in this process. */
export function removeGitRepos(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
