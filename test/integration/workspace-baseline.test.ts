/**
 * The workspace as setup leaves it is the baseline of the change: with W the
 * workspace now, B the baseline and C the base commit, the published tree
 * takes C(p) where W(p) = B(p) and W(p) elsewhere. What setup made (a venv, a
 * rewritten lockfile, build output) is never part of the change nor counted
 * against its limit; what the agent did, even inside .venv, is.
 */
import { execFileSync, spawn } from 'child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeWorkspaceChange, ChangeTooLargeError } from '../../activities/host/workspace-change';
import {
  decodeBaseline,
  encodeBaseline,
  readWorkspaceBaseline,
  type WorkspaceBaseline,
} from '../../activities/host/workspace-baseline';
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

interface Repo {
  origin: string;
  workspace: string;
  base: string;
}

/** A small JS-like repository that ignores only logs (not node_modules, not .venv). */
function setUp(): Repo {
  const origin = tmp('drydock-bl-origin-');
  git(origin, 'init', '-q', '-b', 'main');
  mkdirSync(path.join(origin, 'src'));
  writeFileSync(path.join(origin, 'src', 'math.js'), 'exports.add = (a, b) => a - b;\n');
  writeFileSync(path.join(origin, 'package-lock.json'), '{ "lockfileVersion": 1 }\n');
  writeFileSync(path.join(origin, 'generated.txt'), 'setup deletes this\n');
  writeFileSync(path.join(origin, '.gitignore'), '*.log\n');
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'base');
  const base = git(origin, 'rev-parse', 'HEAD').trim();
  const workspace = path.join(tmp('drydock-bl-ws-'), 'workspace');
  git(path.dirname(workspace), 'clone', '-q', origin, workspace);
  return { origin, workspace, base };
}

/** What a setup phase leaves: a venv (with a symlink and a script), node_modules, a rewritten lockfile, a deleted file. */
function runSetup(ws: string): void {
  mkdirSync(path.join(ws, '.venv', 'bin'), { recursive: true });
  mkdirSync(path.join(ws, '.venv', 'lib', 'site-packages', 'pkg'), { recursive: true });
  symlinkSync('/usr/bin/python3', path.join(ws, '.venv', 'bin', 'python'));
  writeFileSync(path.join(ws, '.venv', 'bin', 'pytest'), '#!/bin/sh\nexec python -m pytest "$@"\n');
  chmodSync(path.join(ws, '.venv', 'bin', 'pytest'), 0o755);
  for (let i = 0; i < 50; i++)
    writeFileSync(path.join(ws, '.venv', 'lib', 'site-packages', 'pkg', `m${i}.py`), `X = ${i}\n`);
  writeFileSync(path.join(ws, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
  mkdirSync(path.join(ws, 'node_modules', 'x'), { recursive: true });
  writeFileSync(path.join(ws, 'node_modules', 'x', 'index.js'), 'module.exports = 1;\n');
  writeFileSync(path.join(ws, 'package-lock.json'), '{ "lockfileVersion": 3, "packages": {} }\n');
  unlinkSync(path.join(ws, 'generated.txt'));
}

/** The tar the engine would give of the workspace folder. */
async function archiveOf(workspace: string): Promise<NodeJS.ReadableStream> {
  return spawn('tar', ['-C', path.dirname(workspace), '-c', path.basename(workspace)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }).stdout;
}

async function baselineOf(s: Repo): Promise<WorkspaceBaseline> {
  const baseline = await readWorkspaceBaseline({ archive: () => archiveOf(s.workspace), maxWorkspaceBytes: 1024 ** 3 });
  // What the store holds is what collectChange reads.
  return decodeBaseline(encodeBaseline(baseline));
}

async function changeOf(s: Repo, baseline: WorkspaceBaseline | undefined, maxChangeBytes = 64 * 1024 * 1024) {
  const scratch = path.join(tmp('drydock-bl-scratch-'), 'files');
  mkdirSync(scratch);
  // A host clone of its own, as every collectChange has.
  const repoDir = path.join(tmp('drydock-bl-host-'), 'repo');
  git(path.dirname(repoDir), 'clone', '-q', '--no-checkout', s.origin, repoDir);
  return computeWorkspaceChange({
    repoDir,
    baseCommit: s.base,
    archive: () => archiveOf(s.workspace),
    scratchDir: scratch,
    maxChangeBytes,
    maxWorkspaceBytes: 1024 ** 3,
    excludes: ['__pycache__/'],
    baseline,
  });
}

/** Publishes the change on a fresh clone; returns the commit, whose tree is the computed one. */
async function publish(
  s: Repo,
  change: Awaited<ReturnType<typeof changeOf>>,
): Promise<{ dir: string; commit: string }> {
  const dir = path.join(tmp('drydock-bl-pub-'), 'repo');
  git(path.dirname(dir), 'clone', '-q', '--no-checkout', s.origin, dir);
  const commit = await commitPatch(dir, s.base, change.patch, 'drydock: test\n', change.tree);
  return { dir, commit };
}

test("the change is the agent's alone: what setup made stays out, what the agent did (even in .venv) is in", async () => {
  const s = setUp();
  const ws = s.workspace;
  runSetup(ws);
  const baseline = await baselineOf(s);
  // The agent: fixes the bug, writes a new file, adds one in .venv, edits and deletes setup-made files there.
  writeFileSync(path.join(ws, 'src', 'math.js'), 'exports.add = (a, b) => a + b;\n');
  writeFileSync(path.join(ws, 'NOTES.md'), 'notes\n');
  writeFileSync(path.join(ws, '.venv', 'agent.txt'), 'made by the agent\n');
  writeFileSync(path.join(ws, '.venv', 'lib', 'site-packages', 'pkg', 'm1.py'), 'X = "patched"\n');
  unlinkSync(path.join(ws, '.venv', 'lib', 'site-packages', 'pkg', 'm2.py'));
  chmodSync(path.join(ws, '.venv', 'pyvenv.cfg'), 0o755);

  const change = await changeOf(s, baseline);
  expect(change.files.map((f) => `${f.status} ${f.path}`).sort()).toEqual([
    'A .venv/agent.txt',
    'A .venv/lib/site-packages/pkg/m1.py',
    'A .venv/pyvenv.cfg',
    'A NOTES.md',
    'M src/math.js',
  ]);
  // The lockfile setup rewrote and the file it deleted are left as the base commit has them, and named.
  expect(change.setupChanged.sort()).toEqual(['generated.txt', 'package-lock.json']);
  const { dir, commit } = await publish(s, change);
  expect(git(dir, 'show', `${commit}:package-lock.json`)).toBe('{ "lockfileVersion": 1 }\n');
  expect(git(dir, 'show', `${commit}:generated.txt`)).toBe('setup deletes this\n');
  expect(git(dir, 'ls-tree', '-r', '--name-only', commit)).not.toMatch(/node_modules|bin\/python|m2\.py/);

  // Without the baseline, everything setup made would be the change.
  const naive = await changeOf(s, undefined);
  expect(naive.files.map((f) => f.path)).toEqual(
    expect.arrayContaining(['node_modules/x/index.js', '.venv/bin/python', 'package-lock.json', 'generated.txt']),
  );
});

test("a file setup changed that the agent changed too is published as the agent's", async () => {
  const s = setUp();
  runSetup(s.workspace);
  const baseline = await baselineOf(s);
  writeFileSync(path.join(s.workspace, 'package-lock.json'), '{ "lockfileVersion": 3, "agent": true }\n');
  const change = await changeOf(s, baseline);
  expect(change.files.map((f) => f.path)).toEqual(['package-lock.json']);
  expect(change.setupChanged).toEqual(['generated.txt']);
  const { dir, commit } = await publish(s, change);
  expect(git(dir, 'show', `${commit}:package-lock.json`)).toBe('{ "lockfileVersion": 3, "agent": true }\n');
});

test('no change but setup output is an empty change', async () => {
  const s = setUp();
  runSetup(s.workspace);
  const change = await changeOf(s, await baselineOf(s));
  expect(change.files).toEqual([]);
  expect(change.tree).toBe(git(s.origin, 'rev-parse', `${s.base}^{tree}`).trim());
});

test("the change limit counts the agent's change only: a large setup output does not blow it", async () => {
  const s = setUp();
  mkdirSync(path.join(s.workspace, 'build'));
  writeFileSync(path.join(s.workspace, 'build', 'bundle.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  writeFileSync(path.join(s.workspace, 'build', 'small.js'), 'x\n');
  const baseline = await baselineOf(s);
  writeFileSync(path.join(s.workspace, 'src', 'math.js'), 'exports.add = (a, b) => a + b;\n');
  const change = await changeOf(s, baseline, 1024 * 1024);
  expect(change.files.map((f) => f.path)).toEqual(['src/math.js']);
  await expect(changeOf(s, undefined, 1024 * 1024)).rejects.toThrow(ChangeTooLargeError);
  // An agent that changes the large setup file is counted for it.
  writeFileSync(path.join(s.workspace, 'build', 'bundle.bin'), Buffer.alloc(3 * 1024 * 1024, 8));
  await expect(changeOf(s, baseline, 1024 * 1024)).rejects.toThrow(/build\/bundle\.bin/);
});

test('a stored baseline keeps names that are not UTF-8', async () => {
  const s = setUp();
  const odd = Buffer.concat([
    Buffer.from(path.join(s.workspace, 'odd-')),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('.txt'),
  ]);
  writeFileSync(odd, 'made by setup\n');
  const baseline = await baselineOf(s);
  const change = await changeOf(s, baseline);
  expect(change.files).toEqual([]);
});

test('hard links: a new link to an unchanged file is part of the change; one to a file setup made is published or clearly refused', async () => {
  const s = setUp();
  runSetup(s.workspace);
  linkSync(
    path.join(s.workspace, '.venv', 'lib', 'site-packages', 'pkg', 'm7.py'),
    path.join(s.workspace, '.venv', 'm7-link.py'),
  );
  const baseline = await baselineOf(s);
  // A link setup made is no change; a new link to an unchanged base file is (its content is the base blob).
  linkSync(path.join(s.workspace, 'src', 'math.js'), path.join(s.workspace, 'src', 'same.js'));
  const change = await changeOf(s, baseline);
  expect(change.files.map((f) => `${f.status} ${f.path}`)).toEqual(['A src/same.js']);
  const { dir, commit } = await publish(s, change);
  expect(git(dir, 'show', `${commit}:src/same.js`)).toBe('exports.add = (a, b) => a - b;\n');
  // A new link to a file setup made: published with its content when the archive carries the link's path as the
  // file (archive order is the folder's), else a clear failure (the host never kept the unchanged setup file).
  linkSync(path.join(s.workspace, '.venv', 'pyvenv.cfg'), path.join(s.workspace, 'cfg-link'));
  const linked = await changeOf(s, baseline).then(
    (c) => c.files.map((f) => f.path).sort(),
    (err: Error) => err.message,
  );
  if (typeof linked === 'string') expect(linked).toMatch(/^cfg-link is a hard link to a file the setup phase made/);
  else expect(linked).toEqual(['cfg-link', 'src/same.js']);
});
