/**
 * Cloning a repository on the worker runs nothing from it or from the
 * environment: hooks are off (even ones a git template would install) and the
 * ext:: transport, which runs a command, is refused.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { cloneRepository } from '../../activities/codehost/git';
import { makeGitRepo, removeGitRepos } from '../support/git-fixtures';

let home: string;
let marker: string;
const savedHome = process.env.HOME;

beforeAll(() => {
  // A HOME whose git config installs a post-checkout hook into every new repository.
  home = mkdtempSync(path.join(os.tmpdir(), 'drydock-hostile-home-'));
  marker = path.join(home, 'hook-ran');
  const hooks = path.join(home, 'template', 'hooks');
  mkdirSync(hooks, { recursive: true });
  writeFileSync(path.join(hooks, 'post-checkout'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  writeFileSync(path.join(home, '.gitconfig'), `[init]\n\ttemplateDir = ${path.join(home, 'template')}\n`);
});

afterAll(() => {
  process.env.HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
  removeGitRepos();
});

test('a hook does not run on clone, though plain git would run it', async () => {
  const repo = makeGitRepo('demo-repo');
  const out = mkdtempSync(path.join(os.tmpdir(), 'drydock-hostile-clone-'));
  try {
    // The control: plain git with this HOME runs the hook.
    execFileSync('git', ['clone', '-q', repo, path.join(out, 'plain')], { env: { ...process.env, HOME: home } });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    process.env.HOME = home;
    const cloned = await cloneRepository(repo, undefined, path.join(out, 'safe'));
    process.env.HOME = savedHome;
    expect(cloned.baseBranch).toBe('main');
    expect(existsSync(path.join(out, 'safe', 'package.json'))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  } finally {
    process.env.HOME = savedHome;
    rmSync(out, { recursive: true, force: true });
  }
});

test('the ext:: transport is refused and runs nothing', async () => {
  const pwned = path.join(home, 'pwned');
  const out = mkdtempSync(path.join(os.tmpdir(), 'drydock-hostile-ext-'));
  try {
    await expect(cloneRepository(`ext::sh -c touch% ${pwned}`, undefined, path.join(out, 'x'))).rejects.toThrow(
      /transport 'ext' not allowed|not allowed/,
    );
    expect(existsSync(pwned)).toBe(false);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
