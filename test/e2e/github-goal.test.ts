/**
 * GitHub goals end to end: real dev server, real workers, real Docker, real
 * git (a local bare remote), the real openai client against the scripted model
 * and the real Octokit client against the fake GitHub server. An issue becomes
 * a goal and a draft PR that closes it; revise pushes to the same PR; the token
 * stays on the workers; 401 is not retried; a rate limit waits for its reset.
 */
import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { startTestEnvironment } from '../support/test-env';
import { startWorkers, type RunningWorkers } from '../support/workers';
import { containersOfGoal } from '../support/docker';
import { startScriptedModelServer, loadScript, type ScriptedModelServer } from '../../scripted-model';
import { fixturePath, makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github-server';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const TOKEN = `github_pat_E2ESECRET${RUN}${Math.random().toString(36).slice(2)}`;
const TOKEN_HEADER = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const REPOSITORY = 'https://github.example/acme/demo';

/** Every worker log line of this file, to search for the token. */
const logs: string[] = [];
/** JSON of a log entry; errors with their (non-enumerable) message, stack and cause. */
const safeJson = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return x.toString();
    if (x instanceof Uint8Array) return Buffer.from(x).toString('utf8');
    if (x instanceof Error) return { ...x, name: x.name, message: x.message, stack: x.stack, cause: x.cause };
    return x;
  });
/** A workflow history as text, every payload decoded (they are base64 in the fetched history). */
const historyText = (h: unknown) =>
  JSON.stringify(h, (k, x: unknown) =>
    k === 'data' && typeof x === 'string'
      ? Buffer.from(x, 'base64').toString('utf8')
      : x instanceof Uint8Array
        ? Buffer.from(x).toString('utf8')
        : x,
  );

let env: TestWorkflowEnvironment;
let workers: RunningWorkers;
let model: ScriptedModelServer;
let fake: FakeGitHub;
let gitRoot: string;
let bare: string;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => logs.push(safeJson(entry))) });
  } catch {
    // Another suite of this process installed the runtime first; its logger is then not searched.
  }
  gitRoot = mkdtempSync(path.join(os.tmpdir(), 'drydock-e2e-github-'));
  mkdirSync(path.join(gitRoot, 'acme'));
  bare = path.join(gitRoot, 'acme', 'demo.git');
  execFileSync('git', ['clone', '-q', '--bare', makeGitRepo('demo-repo'), bare]);
  env = await startTestEnvironment();
  model = await startScriptedModelServer({ script: [] });
  fake = await startFakeGitHub({ tokens: [TOKEN], gitRoot });
  workers = await startWorkers(env, {
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: 'scripted-key',
    DRYDOCK_MODEL: 'scripted',
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: fake.url,
    DRYDOCK_GITHUB_WEB_URL: 'https://github.example',
    DRYDOCK_GITHUB_GIT_URL: `file://${gitRoot}`,
  });
}, 120_000);

afterAll(async () => {
  await workers?.stop();
  await model?.close();
  await fake?.close();
  await env?.teardown();
  removeGitRepos();
  if (gitRoot) rmSync(gitRoot, { recursive: true, force: true });
});

afterEach(() => {
  expect(model.failures).toEqual([]);
  expect(model.remaining()).toBe(0);
});

function remoteGit(...args: string[]): string {
  return execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' }).trim();
}

function expectNoToken(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(TOKEN_HEADER);
}

let prNumber = 0;
let prBranch = '';

test('an issue becomes a goal and one draft PR that closes it; the issue gets one comment; the token stays on the workers', async () => {
  const issue = fake.addIssue(
    'acme',
    'demo',
    'Make the failing test in test/math.test.js pass',
    'add() in src/math.js gives 1 for add(2, 1).',
  );
  // The first read of the issue hits the rate limit: the activity waits for the reset, not its 1 s backoff.
  const reset = Math.ceil(Date.now() / 1000) + 4;
  fake.faults.push({
    method: 'GET',
    path: new RegExp(`/issues/${issue}$`),
    status: 403,
    message: 'API rate limit exceeded',
    headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
  });
  model.push(
    // A look at the copied workspace's git config and environment, as the model would see them.
    {
      type: 'tool_calls',
      calls: [{ name: 'shell', arguments: { command: 'cat .git/config; env' } }],
      expect: { anyMessageIncludes: 'gives 1 for add(2, 1)' },
    },
    ...loadScript(fixturePath('scripts/demo.json')),
  );
  const workflowId = `e2e-gh-issue-${RUN}`;
  const handle = await env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    args: [
      { repository: REPOSITORY, goal: '', issue: { owner: 'acme', repo: 'demo', number: issue } } satisfies GoalInput,
    ],
  });
  const result = await readGoalResult(handle);

  expect(result.status).toBe('succeeded');
  const reads = fake.matching('GET', new RegExp(`/issues/${issue}$`));
  expect(reads.map((r) => r.status)).toEqual([403, 200]);
  const spacing = reads[1]!.at - reads[0]!.at;
  console.log(`rate-limit retry spacing: ${spacing} ms (reset was ${reset * 1000 - reads[0]!.at} ms after the 403)`);
  expect(spacing).toBeGreaterThanOrEqual(reset * 1000 - reads[0]!.at - 100);
  expect(spacing).toBeGreaterThan(2500);

  const prs = fake.pulls();
  expect(prs).toHaveLength(1);
  const pr = prs[0]!;
  prNumber = pr.number;
  prBranch = pr.head;
  expect(result.pr).toEqual(
    expect.objectContaining({
      id: String(pr.number),
      branch: pr.head,
      base: 'main',
      location: `https://github.example/acme/demo/pull/${pr.number}`,
    }),
  );
  expect(pr.draft).toBe(true);
  expect(pr.head).toMatch(/^drydock\/[0-9a-f]{8}$/);
  expect(pr.title).toBe('drydock: Make the failing test in test/math.test.js pass');
  expect(fake.labels('acme', 'demo', pr.number).sort()).toEqual(['agent-generated', 'drydock']);
  for (const section of [
    '## Summary',
    '## Rationale',
    '## Files changed',
    '## Verification',
    '## Model and cost',
    `Closes #${issue}`,
    `/workflows/${workflowId}`,
  ]) {
    expect(pr.body).toContain(section);
  }
  const comments = fake.comments('acme', 'demo', issue);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain(`https://github.example/acme/demo/pull/${pr.number}`);
  expect(remoteGit('show', `${pr.head}:src/math.js`)).toContain('return a + b;');
  expect(remoteGit('log', '-1', '--format=%B', pr.head)).toContain(`Drydock-Workflow: ${workflowId}`);

  // The workspace the model saw: origin is the plain URL, no credential in its config or environment.
  const seen = JSON.stringify(model.requests[1]?.body);
  expect(seen).toContain('url = https://github.example/acme/demo');
  expectNoToken(seen);
  expect(seen).not.toMatch(/extraheader|GIT_CONFIG_VALUE/i);
  // Nor in the remote's config, the PR body, the Temporal history or the worker logs.
  expectNoToken(readFileSync(path.join(bare, 'config'), 'utf8'));
  expectNoToken(pr.body);
  const history = historyText(await handle.fetchHistory());
  expect(history).toContain('Make the failing test');
  expectNoToken(history);
  // The worker logged the rate-limited attempt (so the logs are captured), without the token.
  expect(logs.join('\n')).toContain('GitHub rate limit hit');
  expectNoToken(logs.join('\n'));
  expect(await containersOfGoal(workflowId)).toEqual([]);
}, 180_000);

test('revise takes the unresolved review comments as the goal and pushes to the same branch and PR', async () => {
  expect(prNumber).toBeGreaterThan(0);
  const firstHead = remoteGit('rev-parse', prBranch);
  fake.addReviewComment('acme', 'demo', prNumber, {
    path: 'src/math.js',
    line: 5,
    position: 3,
    body: 'Please name the sum: const sum = a + b;',
    user: { login: 'alice' },
    commit_id: firstHead,
  });
  fake.addReviewComment('acme', 'demo', prNumber, {
    path: 'src/math.js',
    line: null,
    position: null,
    body: 'An outdated remark about old code',
    user: { login: 'bob' },
    commit_id: firstHead,
  });
  const patch =
    '--- a/src/math.js\n+++ b/src/math.js\n@@ -4,3 +4,4 @@\n function add(a, b) {\n-  return a + b;\n+  const sum = a + b;\n+  return sum;\n }\n';
  model.push(
    {
      type: 'tool_calls',
      calls: [{ name: 'apply_patch', arguments: { patch } }],
      expect: { anyMessageIncludes: 'Please name the sum' },
    },
    {
      type: 'tool_calls',
      calls: [{ name: 'finish', arguments: { summary: 'Named the sum as asked.', rationale: 'Review by alice.' } }],
    },
  );
  const titleBefore = fake.pulls()[0]!.title;
  const workflowId = `e2e-gh-revise-${RUN}`;
  const result = (await env.client.workflow
    .start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId,
      args: [{ repository: REPOSITORY, goal: '', pullRequest: { number: prNumber } } satisfies GoalInput],
    })
    .then(readGoalResult)) as GoalResult;

  expect(result.status).toBe('succeeded');
  expect(result.pr).toEqual(expect.objectContaining({ id: String(prNumber), branch: prBranch }));
  const goalText = JSON.stringify(model.requests[0]?.body);
  expect(goalText).not.toContain('An outdated remark');
  expect(fake.pulls()).toHaveLength(1);
  expect(fake.matching('POST', /\/pulls$/)).toHaveLength(1);
  expect(fake.pulls()[0]!.title).toBe(titleBefore);
  // One new commit on top of the first, on the same branch.
  expect(remoteGit('rev-parse', `${prBranch}~1`)).toBe(firstHead);
  expect(remoteGit('show', `${prBranch}:src/math.js`)).toContain('const sum = a + b;');
  const revisionComments = fake.comments('acme', 'demo', prNumber).filter((c) => c.body.includes('drydock revision'));
  expect(revisionComments).toHaveLength(1);
  expect(revisionComments[0]!.body).toContain('Named the sum as asked.');
  const history = historyText(await env.client.workflow.getHandle(workflowId).fetchHistory());
  expect(history).toContain('Please name the sum');
  expectNoToken(history);
}, 180_000);

test('a rejected credential (401) fails the goal after exactly one attempt, with a message that says what to fix', async () => {
  const issue = fake.addIssue('acme', 'demo', 'Anything', 'x');
  fake.faults.push({ path: new RegExp(`/issues/${issue}$`), status: 401, message: 'Bad credentials', times: 20 });
  const workflowId = `e2e-gh-401-${RUN}`;
  const err = await env.client.workflow
    .execute('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId,
      args: [
        { repository: REPOSITORY, goal: '', issue: { owner: 'acme', repo: 'demo', number: issue } } satisfies GoalInput,
      ],
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
  expect(cause.type).toBe('GitHubUnauthorized');
  expect(cause.message).toMatch(/invalid, expired or revoked/);
  expectNoToken(cause.message);
  expect(fake.matching('GET', new RegExp(`/issues/${issue}$`))).toHaveLength(1);
  expect(await containersOfGoal(workflowId)).toEqual([]);
}, 60_000);
