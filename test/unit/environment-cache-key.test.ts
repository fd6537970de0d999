/**
 * What keys a cached environment (environment-cache-key.ts): the dependency
 * files' content at the base commit decides, other files do not.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { environmentKey, readCommitTreeFacts } from '../../activities/environment/environment-cache-key';

let repo: string;
beforeEach(() => {
  repo = mkdtempSync(path.join(tmpdir(), 'env-key-'));
  git('init', '-q', '-b', 'main');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo })
    .toString()
    .trim();
}

function commit(files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), text);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'c');
  return git('rev-parse', 'HEAD');
}

test('a lockfile change (even in a sub-package) changes the key; a source change does not', async () => {
  const first = await readCommitTreeFacts(
    repo,
    commit({ 'package.json': '{}', 'src/a.js': '1', 'pkg/b/yarn.lock': 'x' }),
  );
  const source = await readCommitTreeFacts(repo, commit({ 'src/a.js': '2' }));
  const lock = await readCommitTreeFacts(repo, commit({ 'pkg/b/yarn.lock': 'y' }));
  const reqs = await readCommitTreeFacts(repo, commit({ 'requirements-dev.txt': 'pytest' }));
  expect(first.dependencyFiles.sort()).toEqual(['package.json', 'pkg/b/yarn.lock']);
  expect(source.dependencies).toBe(first.dependencies);
  expect(lock.dependencies).not.toBe(first.dependencies);
  expect(reqs.dependencies).not.toBe(lock.dependencies);
  expect(source.tracked.sort()).toEqual(['package.json', 'pkg/b/yarn.lock', 'src/a.js']);
});

test('the key changes with the image, the setup script, the toolchain and the secret names, never with their order', () => {
  const parts = {
    repository: '/r',
    environmentFile: null,
    setupScript: 'npm ci',
    secretNames: ['A', 'B'],
    dependencies: 'd',
    imageId: 'sha256:1',
    toolchain: '',
  };
  const base = environmentKey(parts);
  expect(environmentKey({ ...parts, secretNames: ['B', 'A'] })).toBe(base);
  for (const change of [
    { imageId: 'sha256:2' },
    { setupScript: 'npm install' },
    { toolchain: 'node: 22.11.0' },
    { secretNames: ['A'] },
    { repository: '/s' },
    { environmentFile: '{}' },
  ])
    expect(environmentKey({ ...parts, ...change })).not.toBe(base);
});
