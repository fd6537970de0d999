/**
 * apply_patch with the `*** Begin Patch` envelope against a real sandbox
 * container: every operation lands on disk, and an envelope that does not
 * apply changes nothing. Fails (does not skip) when Docker or the image is missing.
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
const name = `drydock-test-envelope-${process.pid}-${randomBytes(4).toString('hex')}`;
let ctx: ToolContext;

const MATH = [
  "'use strict';",
  '',
  '/** Adds two numbers. */',
  'function add(a, b) {',
  '  return a - b;',
  '}',
  '',
  '/** Multiplies two numbers. */',
  'function multiply(a, b) {',
  '  return a + b;',
  '}',
  '',
  'module.exports = { add, multiply };',
  '',
].join('\n');

/** An envelope around the given body lines. */
function envelope(...body: string[]): string {
  return ['*** Begin Patch', ...body, '*** End Patch', ''].join('\n');
}

/** Calls apply_patch the way the agent does: by name with a JSON string. */
function applyPatch(patch: string): Promise<ToolOutcome> {
  return runToolCall(ctx, 'apply_patch', JSON.stringify({ patch }));
}

/** Runs a shell command in the workspace; its stdout. */
async function sh(command: string): Promise<string> {
  const result = await sandbox.exec(ctx.containerId, ['bash', '-c', command]);
  return result.stdout;
}

/** What git sees changed in the workspace (porcelain status), as the PR would. */
function status(): Promise<string> {
  return sh('git add -A && git status --porcelain && git reset -q');
}

function fixtureArchive(): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry({ name: 'src/', type: 'directory' });
  pack.entry({ name: 'src/math.js' }, MATH);
  pack.entry({ name: 'src/old.txt' }, 'obsolete\n');
  pack.entry({ name: 'bin/', type: 'directory' });
  pack.entry({ name: 'bin/run.sh', mode: 0o755 }, '#!/bin/sh\necho v1\n');
  pack.entry({ name: 'style.py' }, 'def f():  \n\tif x:\n\t\treturn 1\n');
  pack.entry({ name: 'tail.txt' }, 'end\nmiddle\nend\n');
  pack.entry({ name: 'escape', type: 'symlink', linkname: '/tmp' });
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

beforeAll(async () => {
  await docker.ping();
  const image = await resolveSandboxImage();
  const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'apply-patch-envelope' } });
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

afterEach(async () => {
  await sh('git reset -q --hard && git clean -qfd');
});

describe('envelope operations', () => {
  test('an update with several hunks and anchors fixes the code', async () => {
    const outcome = await applyPatch(
      envelope(
        '*** Update File: src/math.js',
        '@@ function add(a, b) {',
        '-  return a - b;',
        '+  return a + b;',
        '@@ function multiply(a, b) {',
        '-  return a + b;',
        '+  return a * b;',
      ),
    );
    expect(outcome).toMatchObject({ ok: true, output: 'patch applied:\nsrc/math.js (+2 -2)\n' });
    expect(await sh('node -e \'const m = require("./src/math.js"); console.log(m.add(2, 3), m.multiply(2, 3))\'')).toBe(
      '5 6\n',
    );
    expect(await status()).toBe('M  src/math.js\n');
  });

  test('add (with new directories), delete and move (keeping the mode) in one envelope', async () => {
    const outcome = await applyPatch(
      envelope(
        '*** Add File: docs/deep/guide.md',
        '+# Guide',
        '+Hello — ü.',
        '*** Delete File: src/old.txt',
        '*** Update File: bin/run.sh',
        '*** Move to: scripts/run.sh',
        '@@',
        '-echo v1',
        '+echo v2',
      ),
    );
    expect(outcome).toMatchObject({
      ok: true,
      output:
        'patch applied:\ndocs/deep/guide.md (new file, +2)\nsrc/old.txt (deleted, -1)\n' +
        'bin/run.sh → scripts/run.sh (+1 -1)\n',
    });
    expect(await sh('cat docs/deep/guide.md')).toBe('# Guide\nHello — ü.\n');
    expect(await sh('./scripts/run.sh && stat -c %a scripts/run.sh')).toBe('v2\n755\n');
    expect(await status()).toBe('A  docs/deep/guide.md\nR  bin/run.sh -> scripts/run.sh\nD  src/old.txt\n');
  });

  test('*** End of File and whitespace-tolerant context', async () => {
    const outcome = await applyPatch(
      envelope(
        '*** Update File: tail.txt',
        '@@',
        ' end',
        '+appended',
        '*** End of File',
        '*** Update File: style.py',
        '@@',
        ' def f():',
        '     if x:',
        '-        return 1',
        '+\t\treturn 2',
      ),
    );
    expect(outcome.ok).toBe(true);
    expect(await sh('cat tail.txt')).toBe('end\nmiddle\nend\nappended\n');
    // The context lines keep the file's own whitespace; only the changed line differs.
    expect(await sh('git diff --numstat style.py')).toBe('1\t1\tstyle.py\n');
    expect(await sh('cat style.py')).toBe('def f():  \n\tif x:\n\t\treturn 2\n');
  });
});

describe('envelopes that do not apply change nothing and say why', () => {
  test('a hunk whose context is not found: the file and hunk are named, the first context line quoted', async () => {
    const outcome = await applyPatch(
      envelope(
        '*** Add File: created.txt',
        '+would be created',
        '*** Update File: src/math.js',
        '@@ function add(a, b) {',
        '-  return a - b;',
        '+  return a + b;',
        '@@',
        ' function divide(a, b) {',
        '+  // never',
      ),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/^patch did not apply; nothing was changed:\n/);
    expect(outcome.output).toContain(
      'src/math.js: hunk 2 of 2 (patch line 8): its context was not found after line 5; ' +
        'its first context line is "function divide(a, b) {"',
    );
    expect(outcome.summary).toMatch(/^apply_patch failed: src\/math\.js: hunk 2 of 2/);
    expect(await status()).toBe('');
  });

  test('an envelope without *** End Patch', async () => {
    const outcome = await applyPatch('*** Begin Patch\n*** Delete File: src/old.txt\n');
    expect(outcome).toMatchObject({ ok: false, invalid: true });
    expect(outcome.output).toContain('the patch ends without a "*** End Patch" line');
    expect(await status()).toBe('');
  });

  test('an Update or Delete of a missing file, an Add of an existing file, a Move onto an existing file', async () => {
    const cases: [string, string][] = [
      [
        envelope('*** Update File: src/nope.js', '@@', '-a', '+b'),
        '*** Update File: src/nope.js: no such file; use *** Add File to create it',
      ],
      [envelope('*** Delete File: nope.txt'), '*** Delete File: nope.txt: no such file'],
      [
        envelope('*** Add File: src/math.js', '+x'),
        '*** Add File: src/math.js: the file already exists; use *** Update File to change it',
      ],
      [
        envelope('*** Update File: src/old.txt', '*** Move to: tail.txt', '@@', '-obsolete', '+moved'),
        '*** Move to: tail.txt: the file already exists',
      ],
    ];
    for (const [patch, message] of cases) {
      const outcome = await applyPatch(patch);
      expect(outcome.ok).toBe(false);
      expect(outcome.output).toContain(`\n${message}\n`);
    }
    expect(await status()).toBe('');
  });

  test('paths outside the workspace are refused, through symlinks too', async () => {
    for (const path of ['../etc/evil', 'escape/planted', '/etc/passwd']) {
      const outcome = await applyPatch(envelope(`*** Add File: ${path}`, '+x'));
      expect(outcome.ok).toBe(false);
      expect(outcome.output).toMatch(/outside the workspace/);
    }
    expect((await sandbox.exec(ctx.containerId, ['ls', '/tmp/planted'])).exitCode).not.toBe(0);
    expect(await status()).toBe('');
  });

  test('a result larger than 1 MB is refused before anything is written', async () => {
    await sh('head -c 1048000 /dev/zero | tr "\\0" "x" > big.txt && echo >> big.txt && git add big.txt');
    const outcome = await applyPatch(
      envelope('*** Add File: small.txt', '+fine', '*** Update File: big.txt', '@@', `+${'y'.repeat(1000)}`),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/big\.txt: would be 1049\d{3} bytes, more than apply_patch writes \(1048576\)/);
    expect(await sh('ls small.txt 2>&1 || true')).toContain('No such file');
  });

  test('the unified diff format still works beside it', async () => {
    const outcome = await applyPatch('--- a/src/old.txt\n+++ b/src/old.txt\n@@ -1 +1 @@\n-obsolete\n+current\n');
    expect(outcome).toMatchObject({ ok: true, output: 'patch applied:\nsrc/old.txt (+1 -1)\n' });
  });
});
