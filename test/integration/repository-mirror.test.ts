/** Repository mirrors on the sandbox host: one bare mirror per repository, fetched per goal, with real git. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cloneThroughMirror, isRemoteRepository, mirrorPathFor } from '../../activities/codehost/repository-mirror';
import { gitIn, makeGitRepo, removeGitRepos } from '../support/git-fixtures';

let work: string;

beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'drydock-mirror-test-'));
});

afterEach(() => rmSync(work, { recursive: true, force: true }));
afterAll(() => removeGitRepos());

test('a goal clones through the mirror, and the next goal sees commits made since', async () => {
  const repo = makeGitRepo('demo-repo');
  const mirrors = path.join(work, 'mirrors-sandbox');

  const first = await cloneThroughMirror(mirrors, repo, undefined, path.join(work, 'a'));
  expect(first.baseBranch).toBe('main');
  expect(first.baseCommit).toBe(gitIn(repo, 'rev-parse', 'main'));
  expect(existsSync(path.join(mirrorPathFor(mirrors, repo), 'HEAD'))).toBe(true);
  // The clone points at the repository, not at the host's mirror.
  expect(gitIn(path.join(work, 'a'), 'remote', 'get-url', 'origin')).toBe(repo);

  writeFileSync(path.join(repo, 'NEW.md'), 'new\n');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'second');
  gitIn(repo, 'checkout', '-q', '-b', 'feature');
  writeFileSync(path.join(repo, 'FEATURE.md'), 'feature\n');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'feature');

  const second = await cloneThroughMirror(mirrors, repo, 'main', path.join(work, 'b'));
  expect(second.baseCommit).toBe(gitIn(repo, 'rev-parse', 'main'));
  expect(existsSync(path.join(work, 'b', 'NEW.md'))).toBe(true);
  const feature = await cloneThroughMirror(mirrors, repo, 'feature', path.join(work, 'c'));
  expect(feature).toMatchObject({ baseBranch: 'feature', baseCommit: gitIn(repo, 'rev-parse', 'feature') });
});

test('concurrent goals on one repository share the mirror and all get the commit', async () => {
  const repo = makeGitRepo('demo-repo');
  const mirrors = path.join(work, 'mirrors-sandbox');
  const clones = await Promise.all(
    Array.from({ length: 8 }, (_, i) => cloneThroughMirror(mirrors, repo, undefined, path.join(work, `c${i}`))),
  );
  expect(new Set(clones.map((c) => c.baseCommit))).toEqual(new Set([gitIn(repo, 'rev-parse', 'main')]));
});

test('an unknown branch fails the clone', async () => {
  const repo = makeGitRepo('demo-repo');
  await expect(cloneThroughMirror(path.join(work, 'm'), repo, 'nope', path.join(work, 'x'))).rejects.toThrow(/nope/);
});

test('only repositories behind a transport go through a mirror; a local path is hard-linked by git already', () => {
  expect(isRemoteRepository('https://github.com/o/r.git')).toBe(true);
  expect(isRemoteRepository('file:///srv/git/r.git')).toBe(true);
  expect(isRemoteRepository('git@github.com:o/r.git')).toBe(true);
  expect(isRemoteRepository('/home/u/src/app')).toBe(false);
  expect(isRemoteRepository('./app')).toBe(false);
});
