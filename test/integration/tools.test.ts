/**
 * Every tool against a real sandbox container holding a small git repository.
 * Fails (does not skip) when Docker or the sandbox image is missing.
 */
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import * as tar from 'tar-stream';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { runToolCall } from '../../activities/tools';
import type { ToolContext, ToolOutcome } from '../../activities/tools';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const name = `drydock-test-tools-${process.pid}-${randomBytes(4).toString('hex')}`;
let ctx: ToolContext;

const APP_JS = ['function add(a, b) {', '  return a + b;', '}', '', 'module.exports = { add };', ''].join('\n');

/** Calls a tool the way the agent does: by name with a JSON string. */
function call(tool: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  return runToolCall(ctx, tool, JSON.stringify(args));
}

/** A tar of the fixture repository, including a symbolic link out of the workspace and a binary file. */
function fixtureArchive(): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry({ name: 'README.md' }, '# Fixture\n\nA tiny repository.\n');
  pack.entry({ name: 'src/', type: 'directory' });
  pack.entry({ name: 'src/app.js' }, APP_JS);
  pack.entry({ name: 'src/util.js' }, 'exports.NEEDLE = "haystack-needle";\n');
  pack.entry({ name: 'passwd-link', type: 'symlink', linkname: '/etc/passwd' });
  pack.entry({ name: 'escape', type: 'symlink', linkname: '/tmp' });
  pack.entry({ name: 'blob.bin' }, Buffer.from([0x7f, 0x45, 0x00, 0x01]));
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

beforeAll(async () => {
  await docker.ping();
  const image = await resolveSandboxImage();
  const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'tools' } });
  ctx = { sandbox, containerId: id, commandTimeoutMs: 20_000, maxOutputBytes: 16 * 1024 };
  await sandbox.putArchive(id, fixtureArchive(), '/workspace');
  const init = await sandbox.exec(id, [
    'bash',
    '-c',
    'git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm init',
  ]);
  expect(init).toMatchObject({ exitCode: 0, stderr: '' });
});

afterAll(async () => {
  await sandbox.destroy(name);
});

describe('shell', () => {
  test('runs a command in the workspace and reports the exit code', async () => {
    const ok = await call('shell', { command: 'pwd && git log --format=%s' });
    expect(ok).toMatchObject({ ok: true, exitCode: 0 });
    expect(ok.output).toBe('exit code: 0\n--- stdout ---\n/workspace\ninit\n');

    const failed = await call('shell', { command: 'ls no-such-file' });
    expect(failed).toMatchObject({ ok: false, exitCode: 2 });
    expect(failed.output).toContain('--- stderr ---\nls: cannot access');
  });

  test('honours cwd, and a missing cwd is a failed command', async () => {
    expect((await call('shell', { command: 'pwd', cwd: 'src' })).output).toContain('/workspace/src\n');
    const missing = await call('shell', { command: 'pwd', cwd: 'nope' });
    expect(missing.ok).toBe(false);
    expect(missing.output).toContain('No such file or directory');
  });

  test('kills a command at its timeout and says so', async () => {
    const started = Date.now();
    const slow = await call('shell', { command: 'sleep 100', timeout_seconds: 1 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(slow.ok).toBe(false);
    expect(slow.output).toMatch(/^timed out after 1s; the command was killed/);
    expect(slow.summary).toBe('$ sleep 100 → timed out');
  });
});

describe('read_file', () => {
  test('prints numbered lines, whole or a range', async () => {
    const whole = await call('read_file', { path: 'src/app.js' });
    expect(whole.ok).toBe(true);
    expect(whole.output.split('\n')[0]).toBe('src/app.js: lines 1-5 of 5');
    expect(whole.output).toContain('     2\t  return a + b;\n');
    const range = await call('read_file', { path: './src/../src/app.js', start_line: 2, end_line: 3 });
    expect(range.output).toBe('src/app.js: lines 2-3 of 5\n     2\t  return a + b;\n     3\t}\n');
  });

  test('refuses paths outside the workspace, through symlinks too', async () => {
    for (const path of ['passwd-link', '../etc/passwd', '/etc/passwd', 'escape/x', 'src/../../etc/hostname']) {
      const outcome = await call('read_file', { path });
      expect(outcome.ok).toBe(false);
      expect(outcome.output).toMatch(/outside the workspace/);
      expect(outcome.output).not.toContain('root:');
    }
  });

  test('refuses binary files, directories and missing files with a reason', async () => {
    expect(await call('read_file', { path: 'blob.bin' })).toMatchObject({
      ok: false,
      output: 'blob.bin: binary file\n',
    });
    expect((await call('read_file', { path: 'src' })).output).toContain('is a directory');
    expect((await call('read_file', { path: 'missing.txt' })).output).toBe('missing.txt: no such file\n');
  });
});

describe('write_file', () => {
  test('creates parents and round-trips through read_file', async () => {
    const content = 'first line\nsecond — ü\n';
    const written = await call('write_file', { path: 'new/deep/notes.txt', content });
    expect(written).toMatchObject({
      ok: true,
      output: `wrote ${Buffer.byteLength(content)} bytes to new/deep/notes.txt (new file)\n`,
    });
    const read = await call('read_file', { path: 'new/deep/notes.txt' });
    expect(read.output).toBe('new/deep/notes.txt: lines 1-2 of 2\n     1\tfirst line\n     2\tsecond — ü\n');
    const owner = await sandbox.exec(ctx.containerId, ['stat', '-c', '%u', 'new/deep/notes.txt']);
    expect(owner.stdout).toBe('1000\n');
  });

  test('writes content larger than one argv string (over 128 KiB)', async () => {
    const content = 'x'.repeat(200 * 1024) + '\n';
    expect((await call('write_file', { path: 'big.txt', content })).ok).toBe(true);
    const size = await sandbox.exec(ctx.containerId, ['stat', '-c', '%s', 'big.txt']);
    expect(size.stdout).toBe(`${content.length}\n`);
  });

  test('refuses to write outside the workspace', async () => {
    for (const path of ['../x', 'escape/planted', 'passwd-link']) {
      const outcome = await call('write_file', { path, content: 'x' });
      expect(outcome.ok).toBe(false);
      expect(outcome.output).toMatch(/outside the workspace/);
    }
    expect((await sandbox.exec(ctx.containerId, ['ls', '/tmp/planted'])).exitCode).not.toBe(0);
  });
});

describe('apply_patch', () => {
  test('applies a git-style diff', async () => {
    const patch = [
      'diff --git a/src/app.js b/src/app.js',
      '--- a/src/app.js',
      '+++ b/src/app.js',
      '@@ -1,3 +1,7 @@',
      ' function add(a, b) {',
      '   return a + b;',
      ' }',
      '+',
      '+function sub(a, b) {',
      '+  return a - b;',
      '+}',
      ' ',
    ].join('\n');
    const outcome = await call('apply_patch', { patch });
    expect(outcome).toMatchObject({ ok: true, output: 'patch applied:\nsrc/app.js (+4 -0)\n' });
    const check = await sandbox.exec(ctx.containerId, [
      'node',
      '-e',
      'const m = require("./src/app.js"); console.log(m.add(2, 1))',
    ]);
    expect(check.stdout).toBe('3\n');
    expect((await call('read_file', { path: 'src/app.js', start_line: 5, end_line: 5 })).output).toContain(
      'function sub(a, b) {',
    );
  });

  test('applies a diff without a/ b/ prefixes, including a new file', async () => {
    const patch = ['--- /dev/null', '+++ docs/guide.md', '@@ -0,0 +1,2 @@', '+# Guide', '+Hello.', ''].join('\n');
    const outcome = await call('apply_patch', { patch });
    expect(outcome).toMatchObject({ ok: true, output: 'patch applied:\ndocs/guide.md (+2 -0)\n' });
    expect((await call('read_file', { path: 'docs/guide.md' })).output).toContain('     1\t# Guide');
  });

  test('a hunk that does not apply gives git’s message and changes nothing', async () => {
    const before = (await call('read_file', { path: 'README.md' })).output;
    const patch = [
      '--- a/README.md',
      '+++ b/README.md',
      '@@ -1,2 +1,2 @@',
      '-# Not the title',
      '+# New title',
      ' ',
      '--- a/src/util.js',
      '+++ b/src/util.js',
      '@@ -1 +1 @@',
      '-exports.NEEDLE = "haystack-needle";',
      '+exports.NEEDLE = "changed";',
    ].join('\n');
    const outcome = await call('apply_patch', { patch });
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/^patch did not apply; nothing was changed:\n/);
    expect(outcome.output).toContain('error: while searching for:\n# Not the title\n');
    expect(outcome.output).toContain('error: patch failed: README.md:1\nerror: README.md: patch does not apply');
    expect(outcome.summary).toMatch(/^apply_patch failed: /);
    expect((await call('read_file', { path: 'README.md' })).output).toBe(before);
    expect((await call('search', { pattern: 'haystack-needle' })).output).toContain('src/util.js:1:');
  });
});

describe('search', () => {
  test('finds a string with path and line number', async () => {
    const outcome = await call('search', { pattern: 'haystack-ne+dle' });
    expect(outcome).toMatchObject({ ok: true, output: 'src/util.js:1:exports.NEEDLE = "haystack-needle";\n' });
    expect(outcome.summary).toContain('1 matching line');
  });

  test('narrows by path and glob; no match is ok', async () => {
    expect((await call('search', { pattern: 'return', path: 'src', glob: '*.js' })).output).toContain('src/app.js:2:');
    expect(await call('search', { pattern: 'return', glob: '*.md' })).toMatchObject({ ok: true, output: 'no matches' });
  });

  test('refuses an outside path and reports a bad regular expression', async () => {
    const outside = await call('search', { pattern: 'root', path: '../etc' });
    expect(outside.ok).toBe(false);
    expect(outside.output).toMatch(/outside the workspace/);
    const bad = await call('search', { pattern: '(unclosed' });
    expect(bad.ok).toBe(false);
    expect(bad.output).toContain('regex parse error');
  });
});

describe('list_files', () => {
  test('lists files under the workspace without .git', async () => {
    const outcome = await call('list_files', {});
    expect(outcome.ok).toBe(true);
    const entries = outcome.output.trim().split('\n');
    expect(entries).toEqual(expect.arrayContaining(['README.md', 'src/', 'src/app.js', 'src/util.js', 'passwd-link']));
    expect(entries.some((e) => e.startsWith('.git'))).toBe(false);
  });

  test('honours path and depth, and refuses outside paths', async () => {
    expect((await call('list_files', { path: 'new', depth: 1 })).output).toBe('new/deep/\n');
    expect((await call('list_files', { path: 'escape' })).ok).toBe(false);
  });
});
