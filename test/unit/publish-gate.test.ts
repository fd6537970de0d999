/** The publish gate: protected paths, secrets and hidden Unicode on added lines refuse a change. */
import { addedLines, changedPathsOfPatch, checkPublishable, highEntropyStrings, matchesGlob } from '../../activities/security/publish-gate';

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
  expect(checkPublishable({ patch: MODIFY, paths: ['src/app.js'] })).toEqual({ allowed: true, findings: [], reasons: [] });
  expect(addedLines(MODIFY)).toEqual([
    { path: 'src/app.js', line: 2, text: 'const b = 3;' },
    { path: 'src/app.js', line: 3, text: 'const c = 4;' },
  ]);
});

test.each(['.github/workflows/ci.yml', '.gitlab-ci.yml', 'AGENTS.md', 'pkg/AGENTS.md', '.drydock/environment.json', '.npmrc', 'deploy/id_rsa', 'certs/server.pem', '.env', 'app/.env.production'])(
  'a change to %s is refused unless the policy allows it',
  (path) => {
    const patch = newFile(path, ['x: 1']);
    const refused = checkPublishable({ patch });
    expect(refused.allowed).toBe(false);
    expect(refused.reasons).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')} is a protected path`))]);
    expect(checkPublishable({ patch, allowProtectedPaths: [path] }).allowed).toBe(true);
  },
);

test('a workflow deleted or renamed away, or a binary credential file, counts too', () => {
  const rename = ['diff --git a/.github/workflows/ci.yml b/ci.yml.bak', 'similarity index 100%', 'rename from .github/workflows/ci.yml', 'rename to ci.yml.bak', ''].join('\n');
  expect(checkPublishable({ patch: rename }).reasons).toEqual([expect.stringContaining('.github/workflows/ci.yml is a protected path')]);
  const binary = ['diff --git a/keys/prod.p12 b/keys/prod.p12', 'new file mode 100644', 'index 0000000..3333333', 'GIT binary patch', 'literal 4', 'LcmZQzWMT#Y00031', '', 'literal 0', 'HcmV?d00001', ''].join('\n');
  expect(checkPublishable({ patch: binary }).allowed).toBe(false);
  expect(checkPublishable({ patch: binary, allowProtectedPaths: ['keys/**'] }).allowed).toBe(true);
});

test('secrets on added lines are refused with the place and a preview, never the secret', () => {
  const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
  const verdict = checkPublishable({ patch: newFile('src/config.js', ['module.exports = {', `  token: "${token}",`, '};']) });
  expect(verdict.allowed).toBe(false);
  expect(verdict.reasons).toEqual(['src/config.js:2 adds what looks like a GitHub token (ghp_…)']);
  expect(JSON.stringify(verdict)).not.toContain(token);
});

test('a removed secret or one in unchanged context is not the change’s doing', () => {
  const token = 'AKIA' + 'IOSFODNN7EXAMPLE';
  const patch = ['--- a/a.txt', '+++ b/a.txt', '@@ -1,2 +1,2 @@', ` keep ${token}`, `-old ${token}`, '+new', ''].join('\n');
  expect(checkPublishable({ patch }).allowed).toBe(true);
});

test('high-entropy strings are refused, hashes and lock files are not', () => {
  const random = 'q8Zr3LmX2vTnB7kP9wYc4HdF6sJgA1eU5oRiN0tK';
  expect(highEntropyStrings(`const key = "${random}";`)).toEqual([random]);
  expect(checkPublishable({ patch: newFile('src/keys.ts', [`export const KEY = '${random}';`]) }).reasons).toEqual([
    expect.stringMatching(/^src\/keys\.ts:1 adds a high-entropy string that may be a secret \(q8Zr…, 40 characters\)$/),
  ]);
  const integrity = '"integrity": "sha512-' + 'Q9Zr3LmX2vTnB7kP9wYc4HdF6sJgA1eU5oRiN0tKq8Zr3LmX2vTnB7kP9wYc4HdF6sJgA1eU5oRiN0tKabcdQQ=="';
  expect(checkPublishable({ patch: newFile('src/data.json', [integrity]) }).allowed).toBe(true);
  expect(checkPublishable({ patch: newFile('package-lock.json', [`"resolved": "${random}"`]) }).allowed).toBe(true);
  expect(highEntropyStrings('a1b2c3d4e5f60718293a4b5c6d7e8f9001122334 thisIsAVeryLongCamelCaseIdentifierName')).toEqual([]);
});

test('hidden Unicode on an added line is refused (Trojan Source)', () => {
  const verdict = checkPublishable({ patch: newFile('src/auth.js', ['if (isAdmin) { /* \u202E } \u2066if (isAdmin)\u2069 \u2066 begin admins only */']) });
  expect(verdict.reasons).toEqual(['src/auth.js:1 adds hidden Unicode (a bidirectional control or tag character)']);
});

test('paths of a patch, quoted ones included, and glob matching', () => {
  const quoted = ['diff --git "a/dir/tab\\there.txt" "b/dir/tab\\there.txt"', '--- "a/dir/tab\\there.txt"', '+++ "b/dir/tab\\there.txt"', '@@ -1 +1 @@', '-a', '+b', ''].join('\n');
  expect(changedPathsOfPatch(quoted)).toEqual(['dir/tab\there.txt']);
  expect(matchesGlob('.github/workflows/ci.yml', '.github/workflows/**')).toBe(true);
  expect(matchesGlob('AGENTS.md', '**/AGENTS.md')).toBe(true);
  expect(matchesGlob('docs/agents.md', '**/AGENTS.md')).toBe(true);
  expect(matchesGlob('src/envelope.js', '**/.env')).toBe(false);
  expect(matchesGlob('a/b.pem', '*.pem')).toBe(false);
});
