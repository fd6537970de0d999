/**
 * The host makes the change from the workspace's files: whatever the
 * sandbox's .git says (diff.external, diff.noprefix, attributes, a forged
 * index), the change is the files as they are against the base commit, and
 * publishing that patch gives exactly the tree that was computed.
 */
import { execFileSync, spawn } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeWorkspaceChange, ChangeTooLargeError } from '../../activities/host/workspace-change';
import { commitPatch } from '../../activities/codehost/git';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tmp(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  });
}

/** A repository with a few files, cloned twice: the "workspace" (checked out) and the host clone (objects only). */
function setUp(): { origin: string; workspace: string; hostClone: string; base: string } {
  const origin = tmp('drydock-wc-origin-');
  git(origin, 'init', '-q', '-b', 'main');
  mkdirSync(path.join(origin, 'src'));
  writeFileSync(path.join(origin, 'src', 'math.js'), 'exports.add = (a, b) => a - b;\n');
  writeFileSync(path.join(origin, 'README.md'), '# demo\n');
  writeFileSync(path.join(origin, 'old.txt'), 'to be deleted\n');
  writeFileSync(path.join(origin, '.gitignore'), 'node_modules/\n*.log\n');
  writeFileSync(path.join(origin, 'tracked.log'), 'a tracked file an ignore rule matches\n');
  git(origin, 'add', '-A');
  git(origin, 'add', '-f', 'tracked.log');
  git(origin, 'commit', '-q', '-m', 'base');
  const base = git(origin, 'rev-parse', 'HEAD').trim();
  const workspace = path.join(tmp('drydock-wc-ws-'), 'workspace');
  git(path.dirname(workspace), 'clone', '-q', origin, workspace);
  const hostClone = path.join(tmp('drydock-wc-host-'), 'repo');
  git(path.dirname(hostClone), 'clone', '-q', '--no-checkout', origin, hostClone);
  return { origin, workspace, hostClone, base };
}

/** The tar the engine would give of the workspace folder. */
async function archiveOf(workspace: string): Promise<NodeJS.ReadableStream> {
  return spawn('tar', ['-C', path.dirname(workspace), '-c', path.basename(workspace)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }).stdout;
}

async function changeOf(s: ReturnType<typeof setUp>, limits: { maxChangeBytes?: number } = {}) {
  const scratch = path.join(tmp('drydock-wc-scratch-'), 'files');
  mkdirSync(scratch);
  return computeWorkspaceChange({
    repoDir: s.hostClone,
    baseCommit: s.base,
    archive: () => archiveOf(s.workspace),
    scratchDir: scratch,
    maxChangeBytes: limits.maxChangeBytes ?? 64 * 1024 * 1024,
    maxWorkspaceBytes: 1024 ** 3,
    excludes: ['__pycache__/'],
  });
}

test('the change is the files against the base commit, whatever the sandbox git config and index say', async () => {
  const s = setUp();
  const ws = s.workspace;
  writeFileSync(path.join(ws, 'src', 'math.js'), 'exports.add = (a, b) => a + b;\n');
  rmSync(path.join(ws, 'old.txt'));
  writeFileSync(path.join(ws, 'src', 'new.js'), 'module.exports = 1;\n');
  writeFileSync(path.join(ws, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(path.join(ws, 'run.sh'), 0o755);
  symlinkSync('src/math.js', path.join(ws, 'math-link'));
  writeFileSync(path.join(ws, 'tracked.log'), 'changed though ignored\n');
  mkdirSync(path.join(ws, 'node_modules', 'x'), { recursive: true });
  writeFileSync(path.join(ws, 'node_modules', 'x', 'index.js'), 'ignored\n');
  writeFileSync(path.join(ws, 'debug.log'), 'ignored\n');
  mkdirSync(path.join(ws, '__pycache__'));
  writeFileSync(path.join(ws, '__pycache__', 'm.pyc'), 'excluded by the host\n');
  // The attacks of the issue: a diff.external that would invent a file, noprefix, a forged index and attributes.
  const evil = path.join(ws, 'evil-diff.sh');
  writeFileSync(evil, '#!/bin/sh\necho "diff --git a/pwn b/pwn"\n');
  chmodSync(evil, 0o755);
  git(ws, 'config', 'diff.external', evil);
  git(ws, 'config', 'diff.noprefix', 'true');
  git(ws, 'config', 'diff.suppressBlankEmpty', 'true');
  writeFileSync(path.join(ws, '.git', 'info', 'attributes'), '* binary\n');
  git(ws, 'add', '-A');

  const change = await changeOf(s);
  const byPath = Object.fromEntries(change.files.map((f) => [f.path, f]));
  expect(Object.keys(byPath).sort()).toEqual([
    'evil-diff.sh',
    'math-link',
    'old.txt',
    'run.sh',
    'src/math.js',
    'src/new.js',
    'tracked.log',
  ]);
  expect(byPath['old.txt']?.status).toBe('D');
  expect(byPath['run.sh']?.mode).toBe('100755');
  expect(byPath['math-link']).toMatchObject({ mode: '120000', symlinkTarget: 'src/math.js' });
  expect(change.patch.toString()).toContain('diff --git a/src/math.js b/src/math.js');
  expect(change.patch.toString()).not.toMatch(/^diff --git a\/pwn/m);

  // Publishing the patch on the base commit gives exactly the computed tree.
  const publish = path.join(tmp('drydock-wc-pub-'), 'repo');
  git(path.dirname(publish), 'clone', '-q', '--no-checkout', s.origin, publish);
  const commit = await commitPatch(publish, s.base, change.patch, 'drydock: test\n', change.tree);
  expect(git(publish, 'rev-parse', `${commit}^{tree}`).trim()).toBe(change.tree);
  expect(git(publish, 'show', `${commit}:src/math.js`)).toBe('exports.add = (a, b) => a + b;\n');
});

test('bytes are published as they are: attributes in the workspace convert nothing', async () => {
  const s = setUp();
  writeFileSync(path.join(s.workspace, '.gitattributes'), '* text eol=crlf\n*.txt ident\n');
  writeFileSync(path.join(s.workspace, 'crlf.txt'), 'one\r\ntwo\r\n$Id$\n');
  const change = await changeOf(s);
  const publish = path.join(tmp('drydock-wc-pub-'), 'repo');
  git(path.dirname(publish), 'clone', '-q', '--no-checkout', s.origin, publish);
  const commit = await commitPatch(publish, s.base, change.patch, 'm\n', change.tree);
  expect(execFileSync('git', ['cat-file', 'blob', `${commit}:crlf.txt`], { cwd: publish }).toString('latin1')).toBe(
    'one\r\ntwo\r\n$Id$\n',
  );
});

test('a patch that does not give the verified tree is refused', async () => {
  const s = setUp();
  writeFileSync(path.join(s.workspace, 'README.md'), '# changed\n');
  const change = await changeOf(s);
  const publish = path.join(tmp('drydock-wc-pub-'), 'repo');
  git(path.dirname(publish), 'clone', '-q', '--no-checkout', s.origin, publish);
  await expect(commitPatch(publish, s.base, change.patch, 'm\n', '0'.repeat(40))).rejects.toThrow(
    /not the verified tree/,
  );
});

test('a change larger than the limit is a clear failure, read without holding it in memory', async () => {
  const s = setUp();
  writeFileSync(path.join(s.workspace, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  await expect(changeOf(s, { maxChangeBytes: 1024 * 1024 })).rejects.toThrow(ChangeTooLargeError);
  await expect(changeOf(s, { maxChangeBytes: 1024 * 1024 })).rejects.toThrow(
    /big\.bin \(3\.0 MiB\).*|more than the limit of 1\.0 MiB/,
  );
});

test('file names that are not UTF-8 or hold quotes and newlines survive', async () => {
  const s = setUp();
  const odd = Buffer.concat([
    Buffer.from(path.join(s.workspace, 'odd-')),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"q\nx.txt'),
  ]);
  writeFileSync(odd, 'odd\n');
  const change = await changeOf(s);
  expect(change.files).toHaveLength(1);
  const publish = path.join(tmp('drydock-wc-pub-'), 'repo');
  git(path.dirname(publish), 'clone', '-q', '--no-checkout', s.origin, publish);
  await commitPatch(publish, s.base, change.patch, 'm\n', change.tree);
});
