/** The publish gate: protected paths, symlinks, secrets (as written, encoded, split, known values) and hidden Unicode refuse a change. */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  addedLines,
  changedPathsOfPatch,
  checkPublishable,
  highEntropyStrings,
  matchesGlob,
} from '../../activities/security/publish-gate';

/** A unified diff that adds `lines` to a new file at `path`. */
function newFile(path: string, lines: string[]): string {
  return [
    `diff --git a/${path} b/${path}`,
    'new file mode 100644',
    'index 0000000..1111111',
    '--- /dev/null',
    `+++ b/${path}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    '',
  ].join('\n');
}

const MODIFY = [
  'diff --git a/src/app.js b/src/app.js',
  'index 1111111..2222222 100644',
  '--- a/src/app.js',
  '+++ b/src/app.js',
  '@@ -1,3 +1,4 @@',
  ' const a = 1;',
  '-const b = 2;',
  '+const b = 3;',
  '+const c = 4;',
  ' module.exports = { a };',
  '',
].join('\n');

test('an ordinary change passes', () => {
  expect(checkPublishable({ patch: MODIFY, paths: ['src/app.js'] })).toEqual({
    allowed: true,
    findings: [],
    reasons: [],
  });
  expect(addedLines(MODIFY)).toEqual([
    { path: 'src/app.js', line: 2, text: 'const b = 3;' },
    { path: 'src/app.js', line: 3, text: 'const c = 4;' },
  ]);
});

test.each([
  '.github/workflows/ci.yml',
  '.gitlab-ci.yml',
  'AGENTS.md',
  'pkg/AGENTS.md',
  '.drydock/environment.json',
  '.npmrc',
  'deploy/id_rsa',
  'certs/server.pem',
  '.env',
  'app/.env.production',
])('a change to %s is refused unless the policy allows it', (path) => {
  const patch = newFile(path, ['x: 1']);
  const refused = checkPublishable({ patch });
  expect(refused.allowed).toBe(false);
  expect(refused.reasons).toEqual([
    expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')} is a protected path`)),
  ]);
  expect(checkPublishable({ patch, allowProtectedPaths: [path] }).allowed).toBe(true);
});

test('a workflow deleted or renamed away, or a binary credential file, counts too', () => {
  const rename = [
    'diff --git a/.github/workflows/ci.yml b/ci.yml.bak',
    'similarity index 100%',
    'rename from .github/workflows/ci.yml',
    'rename to ci.yml.bak',
    '',
  ].join('\n');
  expect(checkPublishable({ patch: rename }).reasons).toEqual([
    expect.stringContaining('.github/workflows/ci.yml is a protected path'),
  ]);
  const binary = [
    'diff --git a/keys/prod.p12 b/keys/prod.p12',
    'new file mode 100644',
    'index 0000000..3333333',
    'GIT binary patch',
    'literal 4',
    'LcmZQzWMT#Y00031',
    '',
    'literal 0',
    'HcmV?d00001',
    '',
  ].join('\n');
  expect(checkPublishable({ patch: binary }).allowed).toBe(false);
  expect(checkPublishable({ patch: binary, allowProtectedPaths: ['keys/**'] }).allowed).toBe(true);
});

test('secrets on added lines are refused with the place and a preview, never the secret', () => {
  const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
  const verdict = checkPublishable({
    patch: newFile('src/config.js', ['module.exports = {', `  token: "${token}",`, '};']),
  });
  expect(verdict.allowed).toBe(false);
  expect(verdict.reasons).toEqual(['src/config.js:2 adds what looks like a GitHub token (ghp_…)']);
  expect(JSON.stringify(verdict)).not.toContain(token);
});

test('a removed secret or one in unchanged context is not the change’s doing', () => {
  const token = 'AKIA' + 'IOSFODNN7EXAMPLE';
  const patch = ['--- a/a.txt', '+++ b/a.txt', '@@ -1,2 +1,2 @@', ` keep ${token}`, `-old ${token}`, '+new', ''].join(
    '\n',
  );
  expect(checkPublishable({ patch }).allowed).toBe(true);
});

test('high-entropy strings are refused, hashes and lock files are not', () => {
  const random = 'q8Zr3LmX2vTnB7kP9wYc4HdF6sJgA1eU5oRiN0tK';
  expect(highEntropyStrings(`const key = "${random}";`)).toEqual([random]);
  expect(checkPublishable({ patch: newFile('src/keys.ts', [`export const KEY = '${random}';`]) }).reasons).toEqual([
    expect.stringMatching(/^src\/keys\.ts:1 adds a high-entropy string that may be a secret \(q8Zr…, 40 characters\)$/),
  ]);
  const integrity =
    '"integrity": "sha512-' +
    'Q9Zr3LmX2vTnB7kP9wYc4HdF6sJgA1eU5oRiN0tKq8Zr3LmX2vTnB7kP9wYc4HdF6sJgA1eU5oRiN0tKabcdQQ=="';
  expect(checkPublishable({ patch: newFile('src/data.json', [integrity]) }).allowed).toBe(true);
  expect(checkPublishable({ patch: newFile('package-lock.json', [`"resolved": "${random}"`]) }).allowed).toBe(true);
  expect(highEntropyStrings('a1b2c3d4e5f60718293a4b5c6d7e8f9001122334 thisIsAVeryLongCamelCaseIdentifierName')).toEqual(
    [],
  );
});

test('hidden Unicode on an added line is refused (Trojan Source)', () => {
  const verdict = checkPublishable({
    patch: newFile('src/auth.js', ['if (isAdmin) { /* \u202E } \u2066if (isAdmin)\u2069 \u2066 begin admins only */']),
  });
  expect(verdict.reasons).toEqual(['src/auth.js:1 adds hidden Unicode (a bidirectional control or tag character)']);
});

test('paths of a patch, quoted ones included, and glob matching', () => {
  const quoted = [
    'diff --git "a/dir/tab\\there.txt" "b/dir/tab\\there.txt"',
    '--- "a/dir/tab\\there.txt"',
    '+++ "b/dir/tab\\there.txt"',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '',
  ].join('\n');
  expect(changedPathsOfPatch(quoted)).toEqual(['dir/tab\there.txt']);
  expect(matchesGlob('.github/workflows/ci.yml', '.github/workflows/**')).toBe(true);
  expect(matchesGlob('AGENTS.md', '**/AGENTS.md')).toBe(true);
  expect(matchesGlob('docs/agents.md', '**/AGENTS.md')).toBe(true);
  expect(matchesGlob('src/envelope.js', '**/.env')).toBe(false);
  expect(matchesGlob('a/b.pem', '*.pem')).toBe(false);
});

/** A patch made as the host makes it: real git, `diff-tree -p -a` between the base tree and the changed workspace. */
function hostPatch(base: Record<string, string | Buffer>, change: (dir: string) => void): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-gate-'));
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...args], {
        cwd: dir,
        env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      });
    git('init', '-q');
    for (const [name, content] of Object.entries(base)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    git('add', '-A');
    const before = git('write-tree').toString().trim();
    change(dir);
    git('add', '-A');
    const after = git('write-tree').toString().trim();
    return git(
      'diff-tree',
      '-p',
      '-a',
      '--full-index',
      '--no-renames',
      '--no-ext-diff',
      '--no-textconv',
      before,
      after,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds a symlink (and its folder) to a workspace. */
function link(dir: string, at: string, target: string): void {
  mkdirSync(path.dirname(path.join(dir, at)), { recursive: true });
  symlinkSync(target, path.join(dir, at));
}

/** Writes a file (and its folder) in a workspace. */
function write(dir: string, at: string, content: Buffer): void {
  mkdirSync(path.dirname(path.join(dir, at)), { recursive: true });
  writeFileSync(path.join(dir, at), content);
}

const BASE = {
  'README.md': '# app\n',
  '.github/workflows/ci.yml': 'on: push\n',
  'src/app.js': 'module.exports = 1;\n',
};

describe('protected paths are matched with real globs', () => {
  test('policy globs with braces, extglobs and character classes allow what they name, and only that', () => {
    const lint = newFile('.github/workflows/lint.yml', ['on: push']);
    const deploy = newFile('.github/workflows/deploy.yml', ['on: push']);
    expect(checkPublishable({ patch: lint, allowProtectedPaths: ['.github/workflows/{ci,lint}.yml'] }).allowed).toBe(
      true,
    );
    expect(checkPublishable({ patch: deploy, allowProtectedPaths: ['.github/workflows/{ci,lint}.yml'] }).allowed).toBe(
      false,
    );
    expect(
      checkPublishable({
        patch: newFile('.github/workflows/ab.yml', ['x']),
        allowProtectedPaths: ['.github/workflows/+(a|b).yml'],
      }).allowed,
    ).toBe(true);
    expect(
      checkPublishable({
        patch: newFile('.github/workflows/c.yml', ['x']),
        allowProtectedPaths: ['.github/workflows/+(a|b).yml'],
      }).allowed,
    ).toBe(false);
    expect(
      checkPublishable({ patch: newFile('certs/b.pem', ['x']), allowProtectedPaths: ['certs/[a-c].pem'] }).allowed,
    ).toBe(true);
    expect(
      checkPublishable({ patch: newFile('certs/d.pem', ['x']), allowProtectedPaths: ['certs/[a-c].pem'] }).allowed,
    ).toBe(false);
    expect(matchesGlob('tools/Makefile', '**/[Mm]akefile')).toBe(true);
    expect(matchesGlob('makefile', '**/[Mm]akefile')).toBe(true);
    expect(matchesGlob('tools/Makefile.bak', '**/[Mm]akefile')).toBe(false);
  });

  test('protected folders match whatever their case', () => {
    expect(checkPublishable({ patch: newFile('.GitHub/Workflows/pwn.yml', ['on: push']) }).reasons).toEqual([
      expect.stringMatching(/^\.GitHub\/Workflows\/pwn\.yml is a protected path \(\.github\/workflows\/\*\*\)/),
    ]);
  });
});

describe('symlinks are judged by their path and their target', () => {
  test('a symlink at, into or towards a protected path is refused; one out of the repository too', () => {
    const patch = hostPatch(BASE, (dir) => {
      link(dir, 'docs/ci', '../.github/workflows');
      link(dir, 'x', '.drydock');
      link(dir, 'link', '.github/workflows/pwn.yml');
      link(dir, '.drydock', 'config');
      link(dir, '.github/actions', '../src');
      link(dir, 'up', '../../home/user/.ssh');
      link(dir, 'abs', '/etc/passwd');
      link(dir, 'docs/readme', '../README.md');
    });
    const verdict = checkPublishable({ patch });
    expect(verdict.allowed).toBe(false);
    expect(verdict.reasons.sort()).toEqual(
      [
        ".drydock is a protected path (.drydock/**); the goal's policy.allowProtectedPaths does not allow it",
        ".github/actions is a protected path (.github/actions/**); the goal's policy.allowProtectedPaths does not allow it",
        "docs/ci is a symlink to .github/workflows, a protected path (.github/workflows/**); the goal's policy.allowProtectedPaths does not allow it",
        "link is a symlink to .github/workflows/pwn.yml, a protected path (.github/workflows/**); the goal's policy.allowProtectedPaths does not allow it",
        "x is a symlink to .drydock, a protected path (.drydock/**); the goal's policy.allowProtectedPaths does not allow it",
        'up is a symlink that points outside the repository (../../home/user/.ssh); a change may not link out of it',
        'abs is a symlink that points outside the repository (/etc/passwd); a change may not link out of it',
      ].sort(),
    );
  });

  test('a symlink where protected paths live, or to the root, is refused; an ordinary one passes', () => {
    expect(
      checkPublishable({
        patch: hostPatch({ 'ci/workflows/pwn.yml': 'on: push\n' }, (dir) => link(dir, '.github', 'ci')),
      }).reasons,
    ).toEqual([
      ".github is a symlink where protected paths live (.github/workflows/**); the goal's policy.allowProtectedPaths does not allow it",
    ]);
    expect(checkPublishable({ patch: hostPatch(BASE, (dir) => link(dir, 'docs/all', '..')) }).reasons).toEqual([
      "docs/all is a symlink to the repository root, which holds protected paths (.github/workflows/**); the goal's policy.allowProtectedPaths does not allow it",
    ]);
    expect(checkPublishable({ patch: hostPatch(BASE, (dir) => link(dir, 'docs/readme', '../README.md')) })).toEqual({
      allowed: true,
      findings: [],
      reasons: [],
    });
  });

  test('the policy can allow a symlink to what it allows', () => {
    const patch = hostPatch(BASE, (dir) => link(dir, 'link', '.github/workflows/ci.yml'));
    expect(checkPublishable({ patch }).allowed).toBe(false);
    expect(checkPublishable({ patch, allowProtectedPaths: ['.github/workflows/*.yml'] }).allowed).toBe(true);
  });

  test('the file list alone tells of a symlink (mode 120000 and its target); an unknown target is refused', () => {
    const file = { path: 'tools/env', status: 'A', additions: null, deletions: null, mode: '120000' };
    expect(
      checkPublishable({ patch: '', files: [{ ...file, symlinkTarget: '../.drydock/environment.json' }] }).reasons,
    ).toEqual([
      "tools/env is a symlink to .drydock/environment.json, a protected path (.drydock/**); the goal's policy.allowProtectedPaths does not allow it",
    ]);
    expect(checkPublishable({ patch: '', files: [file] }).reasons).toEqual([
      'tools/env is a symlink whose target is unknown; it cannot be checked',
    ]);
    expect(checkPublishable({ patch: '', files: [{ ...file, symlinkTarget: 'README.md' }] }).allowed).toBe(true);
  });
});

describe('binary files are scanned as bytes', () => {
  const token = 'ghp_' + 'Zq8Rt3Lm9XvB2nKp7WcY4HdF6sJgA1eU5oRiN0tK';
  const awsKey = 'AKIA' + 'Q7XK2M9P4R6T8V3W';

  test('tokens between non-text bytes are found in the host’s -a diff', () => {
    const blob = Buffer.concat([
      Buffer.from([0, 0xff, 0xfe, 0x89, 0x50]),
      Buffer.from(`key=${awsKey}`),
      Buffer.from([0, 0xc3, 0x28, 10, 0x80]),
      Buffer.from(token),
      Buffer.from([0, 1, 2]),
    ]);
    const patch = hostPatch(BASE, (dir) => write(dir, 'assets/logo.bin', blob));
    expect(patch.includes(Buffer.from(token))).toBe(true);
    const verdict = checkPublishable({
      patch,
      files: [{ path: 'assets/logo.bin', status: 'A', additions: null, deletions: null, mode: '100644', binary: true }],
    });
    expect(verdict.reasons).toEqual([
      'assets/logo.bin:1 adds what looks like a AWS access key id (AKIA…)',
      'assets/logo.bin:2 adds what looks like a GitHub token (ghp_…)',
    ]);
  });

  test('a token written as UTF-16 (a NUL between its characters) is found', () => {
    const blob = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`token: ${token}`, 'utf16le')]);
    const verdict = checkPublishable({ patch: hostPatch(BASE, (dir) => write(dir, 'assets/strings.res', blob)) });
    expect(verdict.reasons).toEqual([
      'assets/strings.res:1 adds what looks like a GitHub token split into pieces (ghp_…)',
    ]);
  });

  test('a source file git calls binary (one NUL) is still checked for hidden Unicode on its text lines', () => {
    const source = Buffer.from('/* \0 */\nif (isAdmin) { /* \u202e } \u2066if (isAdmin)\u2069 \u2066 admins only */\n');
    const verdict = checkPublishable({ patch: hostPatch(BASE, (dir) => write(dir, 'src/auth.js', source)) });
    expect(verdict.reasons).toEqual(['src/auth.js:2 adds hidden Unicode (a bidirectional control or tag character)']);
  });

  test('random binary content is not refused for its entropy', () => {
    const bytes = Buffer.concat(
      Array.from({ length: 2048 }, (_, i) => createHash('sha256').update(String(i)).digest()),
    );
    const verdict = checkPublishable({
      patch: hostPatch(BASE, (dir) => write(dir, 'assets/noise.bin', Buffer.concat([Buffer.from([0]), bytes]))),
    });
    expect(verdict).toEqual({ allowed: true, findings: [], reasons: [] });
  });
});

describe('known secret values are refused in any form', () => {
  const secret = 'dep10y~k3y>>?Q4v9Lx2T';
  const blob = (before: string, after = '') => Buffer.from(`${before}${secret}${after}`);
  const forms: [string, string, string][] = [
    ['raw', `DB_PASSWORD=${secret}`, 'adds a known secret value'],
    ['base64', blob('').toString('base64'), 'adds a known secret value (base64)'],
    ['base64, 1 byte in', blob('{').toString('base64'), 'adds a known secret value (base64)'],
    ['base64, 2 bytes in', blob('{"').toString('base64'), 'adds a known secret value (base64)'],
    [
      'base64 inside a longer blob',
      blob('{"user":"ci","password":"', '","host":"db.internal"}').toString('base64'),
      'adds a known secret value (base64)',
    ],
    ['URL-safe base64', blob('').toString('base64url'), 'adds a known secret value (base64url)'],
    ['URL-safe base64, 1 byte in', blob('[').toString('base64url'), 'adds a known secret value (base64url)'],
    ['URL-safe base64, 2 bytes in', blob('["', '"]').toString('base64url'), 'adds a known secret value (base64url)'],
    ['hex', blob('').toString('hex'), 'adds a known secret value (hex)'],
    ['upper-case hex', blob('').toString('hex').toUpperCase(), 'adds a known secret value (hex)'],
    [
      'URL-encoded',
      `https://db.internal/?password=${encodeURIComponent(secret)}&x=1`,
      'adds a known secret value (url-encoded)',
    ],
    [
      'URL-encoded, every byte',
      [...blob('')].map((b) => `%${b.toString(16)}`).join(''),
      'adds a known secret value (url-encoded)',
    ],
    [
      'URL-encoded, another dialect',
      `pw=${secret.replace(/[~>?]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}`,
      'adds a known secret value (url-encoded)',
    ],
  ];

  test.each(forms)('%s', (_name, text, message) => {
    const verdict = checkPublishable({
      patch: newFile('config/app.txt', ['# settings', `value: ${text}`]),
      knownSecrets: [secret, 'short'],
    });
    expect(verdict.reasons).toEqual([`config/app.txt:2 ${message}`]);
    const shown = JSON.stringify(verdict);
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(secret.slice(0, 6));
  });

  test('split into string pieces over lines, in a path, or too short to look for', () => {
    const split = newFile('src/db.js', ['const password =', `  '${secret.slice(0, 9)}' +`, `  '${secret.slice(9)}';`]);
    expect(checkPublishable({ patch: split, knownSecrets: [secret] }).reasons).toEqual([
      'src/db.js:2 adds a known secret value split into pieces',
    ]);
    expect(checkPublishable({ patch: newFile(`notes/${secret}.txt`, ['x']), knownSecrets: [secret] }).reasons).toEqual([
      'a changed path holds a known secret value',
    ]);
    expect(
      checkPublishable({ patch: newFile('src/a.js', ['const x = "abc12";']), knownSecrets: ['abc12'] }).allowed,
    ).toBe(true);
    expect(checkPublishable({ patch: split }).allowed).toBe(true);
  });
});

describe('token shapes the line scan misses: encoded or split', () => {
  const token = 'ghp_' + 'Zq8Rt3Lm9XvB2nKp7WcY4HdF6sJgA1eU5oRiN0tK';
  const awsKey = 'AKIA' + 'Q7XK2M9P4R6T8V3W';
  const refused = (lines: string[], file = 'src/config.js') =>
    checkPublishable({ patch: newFile(file, lines) }).reasons;

  test('hex-encoded: a hex string, \\x escapes, a byte array over lines', () => {
    const hex = Buffer.from(token).toString('hex');
    expect(refused([`const t = Buffer.from('${hex}', 'hex');`])).toEqual([
      'src/config.js:1 adds what looks like a hex-encoded GitHub token (ghp_…)',
    ]);
    expect(refused([`const t = "${hex.replace(/(..)/g, '\\x$1')}";`])).toEqual([
      'src/config.js:1 adds what looks like a hex-encoded GitHub token (ghp_…)',
    ]);
    const bytes = [...Buffer.from(awsKey)].map((b) => `0x${b.toString(16)}`);
    expect(
      refused([
        'const key = Buffer.from([',
        `  ${bytes.slice(0, 10).join(', ')},`,
        `  ${bytes.slice(10).join(', ')},`,
        ']);',
      ]),
    ).toEqual(['src/config.js:2 adds what looks like a hex-encoded AWS access key id (AKIA…)']);
  });

  test('base64-encoded: inside a longer blob, and wrapped over lines in a lock file', () => {
    const blob = Buffer.from(
      JSON.stringify({ region: 'eu-west-1', accessKeyId: awsKey, note: 'rotated weekly' }),
    ).toString('base64');
    expect(refused([`export const CREDS = '${blob}';`])).toContain(
      'src/config.js:1 adds what looks like a base64-encoded AWS access key id (AKIA…)',
    );
    const wrapped =
      Buffer.from(`machine github.com login x password ${token}\n`)
        .toString('base64')
        .match(/.{1,20}/g) ?? [];
    expect(refused(wrapped, 'yarn.lock')).toEqual([
      'yarn.lock:3 adds what looks like a base64-encoded GitHub token (ghp_…)',
    ]);
  });

  test('split: string pieces joined with + on a line or over consecutive lines', () => {
    expect(refused([`const t = "${token.slice(0, 14)}" + "${token.slice(14)}";`])).toEqual([
      'src/config.js:1 adds what looks like a GitHub token split into pieces (ghp_…)',
    ]);
    expect(refused(['const key = [', `  '${awsKey.slice(0, 8)}',`, `  '${awsKey.slice(8)}',`, "].join('');"])).toEqual([
      'src/config.js:2 adds what looks like a AWS access key id split into pieces (AKIA…)',
    ]);
  });
});

describe('ordinary code is not refused', () => {
  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
  const uuid = (i: number) => sha256(`id-${i}`).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');

  test('this repository’s own lock file', () => {
    const lock = readFileSync(path.join(__dirname, '..', '..', 'package-lock.json'), 'utf8').split('\n');
    expect(checkPublishable({ patch: newFile('package-lock.json', lock) })).toEqual({
      allowed: true,
      findings: [],
      reasons: [],
    });
  });

  test.each<[string, string, string[]]>([
    [
      'a minified JS line',
      'dist/app.min.js',
      [
        '!function(e,t){"object"==typeof exports&&"undefined"!=typeof module?t(exports):"function"==typeof define&&define.amd?define(["exports"],t):t((e="undefined"!=typeof globalThis?globalThis:e||self).app={})}(this,function(e){"use strict";var t="sk-"+e.model,n=function(r,o){return r.replace(/[A-Z]/g,function(i){return"-"+i.toLowerCase()})+o},a=[0x1f,0x8b,0x08,0x00],s="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";e.prefix=t,e.kebab=n,e.magic=a,e.pixel=s});',
      ],
    ],
    [
      'an SRI hash',
      'public/index.html',
      [
        `<script src="https://cdn.example.com/lib.js" integrity="sha384-${createHash('sha384').update('lib').digest('base64')}" crossorigin="anonymous"></script>`,
      ],
    ],
    [
      'a list of UUIDs',
      'fixtures/ids.json',
      ['[', ...Array.from({ length: 40 }, (_, i) => `  "${uuid(i)}",`), `  "${uuid(40)}"`, ']'],
    ],
    [
      'long hex SHA-256 digests',
      'SHA256SUMS',
      Array.from({ length: 40 }, (_, i) => `${sha256(String(i))}  dist/pkg-${i}.tar.gz`),
    ],
    [
      'hex digests in code',
      'src/pins.ts',
      ['export const PINS = [', ...Array.from({ length: 10 }, (_, i) => `  '${sha256(String(i))}',`), '];'],
    ],
    [
      'a key built from a prefix and a variable',
      'src/keys.ts',
      ["const header = 'sk-' + someConfiguredModelName;", "const name = 'ghp_' + userSuppliedTokenNameHere;"],
    ],
  ])('%s', (_name, file, lines) => {
    expect(checkPublishable({ patch: newFile(file, lines), knownSecrets: ['setup-secret-Q4v9Lx2T'] })).toEqual({
      allowed: true,
      findings: [],
      reasons: [],
    });
  });
});
