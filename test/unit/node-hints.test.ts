/**
 * The Node version a repository names outside the environment file, read from
 * the base commit's objects: `.nvmrc` and `.node-version` (first line) and
 * package.json's engines.node; a symlink or a file changed after the commit
 * names nothing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNodeHints } from '../../activities/environment/node-hints';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A repository with these files committed; returns its folder and commit. */
function repoWith(files: Record<string, string | { symlink: string }>): { dir: string; commit: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-hints-'));
  dirs.push(dir);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir })
      .toString()
      .trim();
  git('init', '-q');
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === 'string') fs.writeFileSync(path.join(dir, name), content);
    else fs.symlinkSync(content.symlink, path.join(dir, name));
  }
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'files');
  return { dir, commit: git('rev-parse', 'HEAD') };
}

test('.nvmrc, .node-version and engines.node are read from the commit', async () => {
  const { dir, commit } = repoWith({
    '.nvmrc': 'v22.11.0\n# a comment nvm ignores\n',
    '.node-version': '20\n',
    'package.json': JSON.stringify({ name: 'x', engines: { node: '>=20.19 <23' } }),
  });
  // What the work tree says later does not count: the commit's objects do.
  fs.writeFileSync(path.join(dir, '.nvmrc'), '18\n');
  expect(await readNodeHints(dir, commit)).toEqual({
    nvmrc: 'v22.11.0',
    nodeVersion: '20',
    enginesNode: '>=20.19 <23',
  });
});

test('a symlinked .nvmrc, a package.json that is not JSON, and no files at all name nothing', async () => {
  const { dir, commit } = repoWith({ '.nvmrc': { symlink: '/etc/hostname' }, 'package.json': '{ not json' });
  expect(await readNodeHints(dir, commit)).toEqual({});
  const empty = repoWith({});
  expect(await readNodeHints(empty.dir, empty.commit)).toEqual({});
});
