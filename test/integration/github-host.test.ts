/**
 * GitHubHost with the real Octokit client against the fake GitHub server and
 * real git against a local bare remote: one draft PR per branch with the
 * labels and the body sections, updates instead of duplicates, the token kept
 * out of git config and messages, errors classified, the GitHub App flow.
 */
import { execFileSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GitHubApiError } from '../../activities/codehost/errors';
import { AppAuth, TokenAuth, type GitHubAuth } from '../../activities/codehost/github-auth';
import { toActivityFailure } from '../../activities/codehost/github-errors';
import { GitHubHost } from '../../activities/codehost/github-host';
import { cloneRepository } from '../../activities/codehost/git';
import { createGitAccessResolver } from '../../activities/codehost/select-code-host';
import type { ChangeProposal } from '../../activities/codehost/code-host';
import { pullRequestBody } from '../../activities/codehost/pr-body';
import { loadConfig } from '../../workers/config';
import { gitIn, makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github-server';

const TOKEN = `github_pat_TESTSECRET${Math.random().toString(36).slice(2)}`;
let gitRoot: string;
let fake: FakeGitHub;

beforeEach(async () => {
  gitRoot = mkdtempSync(path.join(os.tmpdir(), 'drydock-gh-remote-'));
  fake = await startFakeGitHub({ tokens: [TOKEN], gitRoot });
});

afterEach(async () => {
  await fake.close();
  rmSync(gitRoot, { recursive: true, force: true });
  removeGitRepos();
});

/** A bare remote `acme/demo.git` holding the demo fixture on main; returns its main commit. */
function makeRemote(): string {
  const work = makeGitRepo('demo-repo');
  mkdirSync(path.join(gitRoot, 'acme'), { recursive: true });
  execFileSync('git', ['clone', '-q', '--bare', work, path.join(gitRoot, 'acme', 'demo.git')]);
  return gitIn(work, 'rev-parse', 'HEAD');
}

function hostWith(auth: GitHubAuth = new TokenAuth(TOKEN)): GitHubHost {
  return new GitHubHost({ auth, apiUrl: fake.url, webUrl: 'https://github.example', gitUrl: `file://${gitRoot}` });
}

const PATCH = [
  'diff --git a/src/math.js b/src/math.js',
  '--- a/src/math.js',
  '+++ b/src/math.js',
  '@@ -1,6 +1,6 @@',
  " 'use strict';",
  ' ',
  ' /** Adds two numbers. */',
  ' function add(a, b) {',
  '-  return a - b;',
  '+  return a + b;',
  ' }',
  '',
].join('\n');

function proposal(baseCommit: string, extra: Partial<ChangeProposal> = {}): ChangeProposal {
  const files = [{ path: 'src/math.js', status: 'M', additions: 1, deletions: 1 }];
  const checks = [
    { command: 'npm test', exitCode: 0, passed: true, durationMs: 1200, logTail: '# pass 2', logRef: 'x' },
  ];
  const usage = { promptTokens: 100, completionTokens: 20, totalTokens: 120 };
  return {
    goalId: 'goal-demo-1',
    repository: 'https://github.example/acme/demo',
    baseBranch: 'main',
    baseCommit,
    branch: 'drydock/abcd1234',
    title: 'drydock: fix add',
    body: pullRequestBody({
      goalId: 'goal-demo-1',
      goal: 'Fix add',
      summary: 'Fixed add()',
      rationale: 'It subtracted.',
      files,
      checks,
      usage,
      iterations: 3,
      workflowUrl: 'http://localhost:8233/namespaces/default/workflows/goal-demo-1',
    }),
    commitMessage: 'drydock: fix add\n\nDrydock-Workflow: goal-demo-1\n',
    patch: Buffer.from(PATCH),
    files,
    checks,
    usage,
    ...extra,
  };
}

function readMathOnBranch(branch: string): string {
  return execFileSync('git', ['--git-dir', path.join(gitRoot, 'acme', 'demo.git'), 'show', `${branch}:src/math.js`], {
    encoding: 'utf8',
  });
}

test('publishing pushes the branch and opens one draft PR with the labels and every body section', async () => {
  const base = makeRemote();
  const ref = await hostWith().publish(proposal(base));

  expect(ref).toEqual(
    expect.objectContaining({
      id: '1',
      branch: 'drydock/abcd1234',
      base: 'main',
      location: 'https://github.example/acme/demo/pull/1',
    }),
  );
  expect(readMathOnBranch('drydock/abcd1234')).toContain('return a + b;');
  const prs = fake.pulls();
  expect(prs).toHaveLength(1);
  expect(prs[0]).toEqual(
    expect.objectContaining({ head: 'drydock/abcd1234', base: 'main', draft: true, title: 'drydock: fix add' }),
  );
  for (const section of [
    '## Summary',
    '## Rationale',
    '## Files changed',
    '## Verification',
    '## Model and cost',
    'http://localhost:8233/namespaces/default/workflows/goal-demo-1',
  ]) {
    expect(prs[0]!.body).toContain(section);
  }
  expect(fake.labels('acme', 'demo', 1).sort()).toEqual(['agent-generated', 'drydock']);
  // Octokit authenticated every call with the token; git never stored it.
  expect(fake.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
  const remoteConfig = readFileSync(path.join(gitRoot, 'acme', 'demo.git', 'config'), 'utf8');
  expect(remoteConfig).not.toContain(TOKEN);
});

test('a publish retried after a crash updates the same PR instead of opening a second one', async () => {
  const base = makeRemote();
  // The first attempt pushes and opens the PR, then dies while labelling it (a 502).
  fake.faults.push({ method: 'POST', path: /\/labels$/, status: 502, message: 'Bad Gateway' });
  const first = await hostWith()
    .publish(proposal(base))
    .catch((e: unknown) => e);
  expect(first).toBeInstanceOf(GitHubApiError);
  expect((first as GitHubApiError).retryable).toBe(true);
  expect(fake.pulls()).toHaveLength(1);

  const ref = await hostWith().publish(proposal(base, { title: 'drydock: fix add (retry)' }));
  expect(fake.pulls()).toHaveLength(1);
  expect(ref.id).toBe('1');
  expect(fake.pulls()[0]!.title).toBe('drydock: fix add (retry)');
  expect(fake.matching('POST', /\/pulls$/)).toHaveLength(1);
  expect(fake.matching('PATCH', /\/pulls\/1$/)).toHaveLength(1);
  expect(fake.labels('acme', 'demo', 1).sort()).toEqual(['agent-generated', 'drydock']);
  // The branch holds one commit on top of main, not two.
  expect(
    execFileSync(
      'git',
      ['--git-dir', path.join(gitRoot, 'acme', 'demo.git'), 'rev-list', '--count', `main..drydock/abcd1234`],
      { encoding: 'utf8' },
    ).trim(),
  ).toBe('1');
});

test('a goal from an issue says Closes #N and comments on the issue once, however often it is published', async () => {
  const base = makeRemote();
  const issue = fake.addIssue('acme', 'demo', 'add() subtracts', 'The test fails.');
  const host = hostWith();
  const text = await host.readIssue('https://github.example/acme/demo', { owner: 'acme', repo: 'demo', number: issue });
  expect(text).toEqual({
    title: 'add() subtracts',
    body: 'The test fails.',
    url: `https://github.example/acme/demo/issues/${issue}`,
  });

  await host.publish(proposal(base, { issue: { owner: 'acme', repo: 'demo', number: issue } }));
  await host.publish(proposal(base, { issue: { owner: 'acme', repo: 'demo', number: issue } }));
  const comments = fake.comments('acme', 'demo', issue);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain('https://github.example/acme/demo/pull/2');
});

test('the sandbox clone uses the credential for the one command only: origin and .git/config hold no token', async () => {
  makeRemote();
  const config = loadConfig({
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: fake.url,
    DRYDOCK_GITHUB_WEB_URL: 'https://github.example',
    DRYDOCK_GITHUB_GIT_URL: `file://${gitRoot}`,
  });
  const access = await createGitAccessResolver(config)('https://github.example/acme/demo');
  expect(access?.url).toBe(`file://${gitRoot}/acme/demo.git`);
  expect(JSON.stringify(access?.env)).toContain('GIT_CONFIG_VALUE_0');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-gh-clone-'));
  try {
    const cloned = await cloneRepository('https://github.example/acme/demo', undefined, path.join(dir, 'repo'), access);
    expect(cloned.baseBranch).toBe('main');
    const gitConfig = readFileSync(path.join(dir, 'repo', '.git', 'config'), 'utf8');
    expect(gitConfig).toContain('url = https://github.example/acme/demo');
    expect(gitConfig).not.toContain(TOKEN);
    expect(gitConfig).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
    expect(gitConfig).not.toMatch(/extraheader/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('errors', () => {
  test('401 is non-retryable and says what to fix, without the token', async () => {
    const base = makeRemote();
    const err = await hostWith(new TokenAuth('github_pat_WRONG'))
      .publish(proposal(base))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubApiError);
    const failure = toActivityFailure(err) as { nonRetryable: boolean; type: string; message: string };
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('GitHubUnauthorized');
    expect(failure.message).toMatch(/invalid, expired or revoked.*GITHUB_TOKEN/);
    expect(failure.message).not.toContain('github_pat_WRONG');
  });

  test('403 without a rate limit names the missing permission; 404 and 422 are non-retryable', async () => {
    const base = makeRemote();
    fake.faults.push({
      method: 'POST',
      path: /\/pulls$/,
      status: 403,
      message: 'Resource not accessible by personal access token',
    });
    const forbidden = (await hostWith()
      .publish(proposal(base))
      .catch((e: unknown) => e)) as GitHubApiError;
    expect(forbidden.type).toBe('GitHubForbidden');
    expect(forbidden.retryable).toBe(false);
    expect(forbidden.message).toContain('"Pull requests: read and write" permission on acme/demo');

    const missing = (await hostWith()
      .readIssue('https://github.example/acme/demo', { owner: 'acme', repo: 'demo', number: 99 })
      .catch((e: unknown) => e)) as GitHubApiError;
    expect(missing.type).toBe('GitHubNotFound');
    expect(missing.retryable).toBe(false);

    fake.faults.push({ method: 'POST', path: /\/pulls$/, status: 422, message: 'Validation Failed: base is invalid' });
    const invalid = (await hostWith()
      .publish(proposal(base))
      .catch((e: unknown) => e)) as GitHubApiError;
    expect(invalid.type).toBe('GitHubValidationFailed');
    expect(invalid.retryable).toBe(false);
  });

  test('403 with rate-limit headers and 5xx are retryable with the delay GitHub asks for', async () => {
    const base = makeRemote();
    const reset = Math.floor(Date.now() / 1000) + 30;
    fake.faults.push({
      path: /\/pulls$/,
      status: 403,
      message: 'API rate limit exceeded',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    });
    const limited = (await hostWith()
      .publish(proposal(base))
      .catch((e: unknown) => e)) as GitHubApiError;
    expect(limited.type).toBe('GitHubRateLimited');
    expect(limited.retryable).toBe(true);
    expect(limited.retryAfterMs).toBeGreaterThan(25_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(31_000);
    const failure = toActivityFailure(limited) as { nonRetryable: boolean; nextRetryDelay?: unknown };
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(limited.retryAfterMs);

    fake.faults.push({
      path: /\/pulls$/,
      status: 403,
      message: 'You have exceeded a secondary rate limit',
      headers: { 'retry-after': '7' },
    });
    const secondary = (await hostWith()
      .publish(proposal(base))
      .catch((e: unknown) => e)) as GitHubApiError;
    expect(secondary.retryAfterMs).toBe(7000);

    fake.faults.push({ path: /\/pulls$/, status: 503, message: 'Service Unavailable' });
    const down = (await hostWith()
      .publish(proposal(base))
      .catch((e: unknown) => e)) as GitHubApiError;
    expect(down.type).toBe('GitHubUnavailable');
    expect(down.retryable).toBe(true);
  });
});

describe('GitHub App', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  test('a JWT signed with the private key buys an installation token for the repository, cached until shortly before it expires', async () => {
    await fake.close();
    fake = await startFakeGitHub({
      gitRoot,
      app: { id: '4242', publicKey, installationId: 77, tokenTtlMs: 60 * 60_000 },
    });
    const base = makeRemote();
    let now = Date.now();
    const keyFile = path.join(gitRoot, 'app.pem');
    writeFileSync(keyFile, pem);
    const auth = new AppAuth({ appId: '4242', privateKey: keyFile, apiUrl: fake.url, now: () => now });

    await hostWith(auth).publish(proposal(base));
    expect(fake.issuedTokens).toHaveLength(1);
    const tokenRequest = fake.matching('POST', /\/app\/installations\/77\/access_tokens$/)[0];
    expect(tokenRequest?.body).toEqual({ repositories: ['demo'] });
    expect(tokenRequest?.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    // The PR calls used the installation token, never the JWT.
    expect(fake.matching('POST', /\/pulls$/)[0]?.authorization).toBe(`token ${fake.issuedTokens[0]}`);

    await hostWith(auth).publish(proposal(base));
    expect(fake.issuedTokens).toHaveLength(1);
    now += 56 * 60_000; // four minutes before expiry: refreshed
    await hostWith(auth).publish(proposal(base));
    expect(fake.issuedTokens).toHaveLength(2);
    expect(fake.pulls()).toHaveLength(1);
  });
});
