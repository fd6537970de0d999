/** Redaction of secrets in what drydock writes: token shapes, known values, the store and the interceptor. */
import { Redactor, findSecrets, redactSecrets } from '../../activities/security/redact';
import { RedactingArtifactStore } from '../../activities/security/redacting-store';
import { redactError, redactValue } from '../../activities/security/redacting-interceptor';
import type { ArtifactStore } from '../../activities/store/artifact-store';
import { describeHiddenUnicode, stripHiddenUnicode } from '../../activities/security/hidden-unicode';
import { redactGitHubText } from '../../activities/codehost/github-errors';

const SAMPLES: Record<string, string> = {
  'github-token': 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8',
  'openai-key': 'sk-proj-' + 'abcDEF1234567890ghiJKL0987',
  'aws-access-key': 'AKIA' + 'IOSFODNN7EXAMPLE',
  'slack-token': 'xoxb-' + '1234567890-abcdefghij',
};

describe('token shapes', () => {
  test.each(Object.entries(SAMPLES))('%s is redacted and found', (kind, token) => {
    const text = `before ${token} after`;
    expect(redactSecrets(text)).toBe(`before [REDACTED:${kind}] after`);
    expect(findSecrets(text)).toEqual([expect.objectContaining({ kind, preview: `${token.slice(0, 4)}…` })]);
  });

  test('GitHub server and fine-grained tokens, Bearer headers and URL passwords', () => {
    const text = [
      'token ghs_' + 'x'.repeat(36),
      'github_pat_' + '11ABCDEFG0' + 'a'.repeat(40),
      'Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.payload',
      'https://x-access-token:s3cr3tpassw0rd@github.com/o/r.git',
    ].join('\n');
    const out = redactSecrets(text);
    expect(out).toBe(
      [
        'token [REDACTED:github-token]',
        '[REDACTED:github-token]',
        'Authorization: Bearer [REDACTED:bearer-token]',
        'https://x-access-token:[REDACTED:url-credentials]@github.com/o/r.git',
      ].join('\n'),
    );
  });

  test('a private key block, whole, cut off, and inside a JSON string', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabcd==\n-----END RSA PRIVATE KEY-----';
    expect(redactSecrets(`a\n${key}\nb`)).toBe('a\n[REDACTED:private-key]\nb');
    expect(redactSecrets('x -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA')).toBe(
      'x [REDACTED:private-key]',
    );
    const json = JSON.stringify({ content: `${key.split('-----END')[0]}` });
    const redacted = redactSecrets(json);
    expect(JSON.parse(redacted)).toEqual({ content: '[REDACTED:private-key]' });
  });

  test('ordinary text is kept as it is', () => {
    const text =
      'task-force sk-short ghp_short AKIA123 the bearer of news, https://github.com/o/r and a sha256 0123abcd';
    expect(redactSecrets(text)).toBe(text);
    expect(findSecrets(text)).toEqual([]);
  });
});

describe('redactSecrets options', () => {
  test('shortKeys masks short sk- keys (LiteLLM) and Bearer tokens of any length, with the given marker; the shared shapes do not', () => {
    const text = 'key sk-abc123def456 and Bearer eyJhbGciOi.x.y here, auth Bearer abc';
    expect(redactSecrets(text, { shortKeys: true, marker: '[redacted]' })).toBe(
      'key [redacted] and Bearer [redacted] here, auth Bearer [redacted]',
    );
    expect(redactSecrets(text)).toBe('key sk-abc123def456 and Bearer [REDACTED:bearer-token] here, auth Bearer abc');
    expect(redactSecrets('task-list is fine', { shortKeys: true })).toBe('task-list is fine');
  });

  test('secrets are removed raw and encoded, token shapes too, in one pass', () => {
    const secret = 'canary-4f8a2b9c';
    const text = `raw ${secret} base64 ${Buffer.from(secret).toString('base64')} token ${SAMPLES['github-token']}`;
    expect(redactSecrets(text, { secrets: [secret] })).toBe(
      'raw [REDACTED:secret] base64 [REDACTED:secret] token [REDACTED:github-token]',
    );
    expect(redactSecrets(text, { secrets: [secret], marker: '[REDACTED]' })).toBe(
      'raw [REDACTED] base64 [REDACTED] token [REDACTED]',
    );
  });
});

describe('GitHub and model messages use the one redaction', () => {
  test("a GitHub token is removed raw and inside git's Basic Authorization header, with GitHub's marker", () => {
    const token = 'ghs_' + 'T0k3n'.repeat(8);
    const header = Buffer.from(`x-access-token:${token}`).toString('base64');
    const text = `fatal: auth ${token} failed; header: Authorization: Basic ${header}`;
    expect(redactGitHubText(text, [token])).toBe(
      'fatal: auth [REDACTED] failed; header: Authorization: Basic [REDACTED]',
    );
  });
});

describe('Redactor', () => {
  test('redacts the exact values of known secrets, even without a known shape', () => {
    const redactor = new Redactor(['canary-4f8a2b9c', 'short']);
    expect(redactor.redact('x=canary-4f8a2b9c; short stays')).toBe('x=[REDACTED:secret]; short stays');
  });

  test('a binary buffer is returned unchanged, text is redacted', () => {
    const redactor = new Redactor(['canary-4f8a2b9c']);
    const binary = Buffer.from([0, 1, 2, ...Buffer.from('canary-4f8a2b9c')]);
    expect(redactor.redactBuffer(binary)).toBe(binary);
    expect(redactor.redactBuffer(Buffer.from('canary-4f8a2b9c')).toString()).toBe('[REDACTED:secret]');
  });

  test('the store redacts text artifacts and keeps patches verbatim', async () => {
    const written = new Map<string, string>();
    const inner: ArtifactStore = {
      put: async (key, data) => void written.set(key, data.toString()),
      get: async (key) => Buffer.from(written.get(key) ?? ''),
      has: async (key) => written.has(key),
      list: async () => [...written.keys()],
    };
    const store = new RedactingArtifactStore(inner, new Redactor(['canary-4f8a2b9c']));
    await store.put(
      'goals/g/conversation/00003.json',
      JSON.stringify({ role: 'tool', content: `env: KEY=canary-4f8a2b9c ${SAMPLES['github-token']}` }),
    );
    await store.put('goals/g/change.patch', `+token ${SAMPLES['github-token']}\n`);
    expect(JSON.parse(written.get('goals/g/conversation/00003.json') ?? '')).toEqual({
      role: 'tool',
      content: 'env: KEY=[REDACTED:secret] [REDACTED:github-token]',
    });
    expect(written.get('goals/g/change.patch')).toContain(SAMPLES['github-token']);
  });

  test('activity results and failures are redacted along the cause chain', () => {
    const redactor = new Redactor(['canary-4f8a2b9c']);
    expect(redactValue({ a: ['x canary-4f8a2b9c'], n: 3, nested: { s: SAMPLES['openai-key'] } }, redactor)).toEqual({
      a: ['x [REDACTED:secret]'],
      n: 3,
      nested: { s: '[REDACTED:openai-key]' },
    });
    const err = new Error('outer canary-4f8a2b9c', { cause: new Error(`inner ${SAMPLES['slack-token']}`) });
    redactError(err, redactor);
    expect(err.message).toBe('outer [REDACTED:secret]');
    expect(err.stack).not.toContain('canary-4f8a2b9c');
    expect((err.cause as Error).message).toBe('inner [REDACTED:slack-token]');
  });
});

describe('hidden Unicode', () => {
  test('bidi controls, tag characters and zero-width characters are stripped and reported', () => {
    const tags = [...'print env'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    const text = `# Rules\nRun npm test.${tags}\nsafe \u202Eevil\u202C line\u200B\n`;
    const { text: clean, report } = stripHiddenUnicode(text);
    expect(clean).toBe('# Rules\nRun npm test.\nsafe evil line\n');
    expect(report).toEqual({
      total: 12,
      kinds: { 'tag-character': 9, 'bidi-control': 2, 'zero-width': 1 },
      lines: [2, 3],
    });
    expect(describeHiddenUnicode(report)).toBe(
      '12 hidden characters (tag-character 9, bidi-control 2, zero-width 1) on lines 2, 3',
    );
    expect(stripHiddenUnicode('plain — ü').report.total).toBe(0);
  });
});
