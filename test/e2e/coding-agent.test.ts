/**
 * codingAgent end to end: real dev server, real workers, real Docker, real git,
 * and the real openai client against the scripted model server.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import type { PullRequestRecord } from '../../activities/codehost/pr-record';
import { useAgentStack } from '../support/agent-stack';
import { containersOfGoal } from '../support/docker';
import { loadScript } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

/** Suffix of this run's workflow ids: container names come from them, and Docker is shared. */
const RUN = Math.random().toString(36).slice(2, 8);
const DEMO_GOAL = 'Make the failing test in test/math.test.js pass';
const FIXED_ADD_PATCH = readFileSync(fixturePath('scripts/demo.json'), 'utf8');

const stack = useAgentStack({ vars: { DRYDOCK_MODEL: 'scripted' } });

function runGoal(workflowId: string, input: GoalInput): Promise<GoalResult> {
  return stack.env.client.workflow
    .start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] })
    .then(readGoalResult);
}

function prRecord(id: string): PullRequestRecord {
  return JSON.parse(
    readFileSync(path.join(stack.workers.config.dataDir, 'prs', `${id}.json`), 'utf8'),
  ) as PullRequestRecord;
}

/** The fix of the demo repository, as the demo script writes it. */
function demoPatch(): string {
  const script = JSON.parse(FIXED_ADD_PATCH) as { calls?: { name: string; arguments: { patch?: string } }[] }[];
  const call = script.flatMap((t) => t.calls ?? []).find((c) => c.name === 'apply_patch');
  return call?.arguments.patch ?? '';
}

test('a JavaScript repository with a failing test is fixed and published as a PR record', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(...loadScript(fixturePath('scripts/demo.json')));
  const result = await runGoal(`e2e-js-${RUN}`, { repository: repo, goal: DEMO_GOAL });

  expect(result.status).toBe('succeeded');
  expect(result.iterations).toBe(6);
  // The checks that decided ran in a clean sandbox (base commit + the published patch), not the agent's.
  expect(result.checks).toEqual([
    expect.objectContaining({ command: 'npm test', exitCode: 0, passed: true, cleanRoom: true }),
  ]);
  expect(result.pr?.branch).toMatch(/^drydock\/[0-9a-f]{8}$/);

  // The branch holds exactly the fix, with the trailers, on top of main.
  const branch = result.pr!.branch;
  expect(gitIn(repo, 'rev-parse', `${branch}~1`)).toBe(gitIn(repo, 'rev-parse', 'main'));
  expect(gitIn(repo, 'diff', 'main', branch)).toContain('+  return a + b;');
  expect(gitIn(repo, 'diff', '--name-only', 'main', branch)).toBe('src/math.js');
  const message = gitIn(repo, 'log', '-1', '--format=%B', branch);
  expect(message).toContain(`Drydock-Workflow: e2e-js-${RUN}`);
  expect(message).toMatch(/Drydock-Tokens: \d+/);
  expect(gitIn(repo, 'log', '-1', '--format=%an', branch)).toBe('drydock');
  // The user's checkout is untouched.
  expect(gitIn(repo, 'status', '--porcelain')).toBe('');
  expect(readFileSync(path.join(repo, 'src/math.js'), 'utf8')).toContain('return a - b;');

  const pr = prRecord(result.pr!.id);
  expect(pr.head).toBe(branch);
  expect(pr.base).toBe('main');
  expect(pr.files).toEqual([
    { path: 'src/math.js', status: 'M', additions: 1, deletions: 1, mode: '100644', binary: false },
  ]);
  expect(pr.body).toContain('Run by drydock in a clean sandbox');
  for (const section of ['## Summary', '## Rationale', '## Files changed', '## Verification', '## Model and cost']) {
    expect(pr.body).toContain(section);
  }
  expect(pr.body).toContain('`npm test` → exit 0');
  expect(pr.body).toMatch(/# pass 2/);
  expect(readFileSync(result.pr!.location, 'utf8')).toContain('Fixed add()');
  expect(await containersOfGoal(`e2e-js-${RUN}`)).toEqual([]);
});

test('a Python repository is fixed with the detected pytest check', async () => {
  const repo = makeGitRepo('py-repo');
  stack.model.push(
    {
      type: 'tool_calls',
      calls: [{ name: 'read_file', arguments: { path: 'calc.py' } }],
      expect: { anyMessageIncludes: 'python3 -m pytest' },
    },
    {
      type: 'tool_calls',
      calls: [
        {
          name: 'write_file',
          arguments: {
            path: 'calc.py',
            content:
              'def mean(values):\n    """The arithmetic mean of a non-empty list."""\n    return sum(values) / len(values)\n',
          },
        },
      ],
    },
    {
      type: 'tool_calls',
      calls: [{ name: 'finish', arguments: { summary: 'mean divided by n + 1', rationale: 'the mean divides by n' } }],
    },
  );
  const result = await runGoal(`e2e-py-${RUN}`, { repository: repo, goal: 'Fix mean() so that test_calc.py passes' });
  expect(result.status).toBe('succeeded');
  expect(result.checks[0]).toEqual(expect.objectContaining({ command: 'python3 -m pytest -q', passed: true }));
  expect(gitIn(repo, 'diff', '--name-only', 'main', result.pr!.branch)).toBe('calc.py');
  expect(await containersOfGoal(`e2e-py-${RUN}`)).toEqual([]);
});

test('the verify gate sends a premature finish back with the failing log', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'done', rationale: 'trust me' } }] },
    {
      type: 'tool_calls',
      calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }],
      expect: { lastMessageIncludes: 'The checks failed' },
    },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }] },
  );
  const result = await runGoal(`e2e-verify-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(result.status).toBe('succeeded');
  expect(result.iterations).toBe(3);
  // The model was shown the failing assertion from the first verification.
  const second = JSON.stringify(stack.model.requests[1]?.body);
  expect(second).toContain('exit 1');
  expect(second).toContain('add adds');
});

test('a patch that does not apply goes back to the model as an error, and the goal goes on', async () => {
  const repo = makeGitRepo('demo-repo');
  const badPatch =
    '--- a/src/math.js\n+++ b/src/math.js\n@@ -1,3 +1,3 @@\n-this line is not there\n+nor this\n context\n';
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: badPatch } }] },
    {
      type: 'tool_calls',
      calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }],
      expect: { lastMessageIncludes: 'src/math.js' },
    },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'fixed', rationale: 'r' } }] },
  );
  const result = await runGoal(`e2e-badpatch-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(result.status).toBe('succeeded');
  const toolReply = (stack.model.requests[1]?.body as { messages: { role: string; content: string }[] }).messages.at(
    -1,
  );
  expect(toolReply?.role).toBe('tool');
  expect(toolReply?.content).toMatch(/patch|apply/i);
});

describe('bad input ends with a clear message, no container and no branch', () => {
  const expectFailure = async (workflowId: string, input: unknown, type: string, message: RegExp) => {
    const err = await stack.env.client.workflow
      .execute('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input as GoalInput] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string } | undefined;
    expect(cause?.type).toBe(type);
    expect(cause?.message).toMatch(message);
    expect(await containersOfGoal(workflowId)).toEqual([]);
  };

  test('an invalid repository path', async () => {
    await expectFailure(
      `bad-repo-${RUN}`,
      { repository: '/nonexistent/repo', goal: 'x' },
      'InvalidRepository',
      /cannot clone \/nonexistent\/repo/,
    );
  });

  test('an unknown branch', async () => {
    const repo = makeGitRepo('demo-repo');
    await expectFailure(
      `bad-branch-${RUN}`,
      { repository: repo, baseBranch: 'nope', goal: 'x' },
      'InvalidRepository',
      /branch nope/,
    );
    expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
  });

  test('an empty goal and a 100 KB goal', async () => {
    const repo = makeGitRepo('demo-repo');
    await expectFailure(`bad-empty-${RUN}`, { repository: repo, goal: '   ' }, 'InvalidGoalInput', /goal is required/);
    await expectFailure(
      `bad-huge-${RUN}`,
      { repository: repo, goal: 'x'.repeat(100_000) },
      'InvalidGoalInput',
      /100000 characters; the limit is/,
    );
  });

  test('a relative repository path and a bad policy', async () => {
    await expectFailure(
      `bad-policy-${RUN}`,
      { repository: 'repo', goal: 'x', policy: { maxIterations: -1 } },
      'InvalidGoalInput',
      /absolute path.*maxIterations must be between/,
    );
  });

  test('no checks found and none given', async () => {
    const repo = makeGitRepo('demo-repo');
    gitIn(repo, 'rm', '-q', 'package.json');
    gitIn(repo, 'commit', '-q', '-m', 'no package.json');
    const result = await runGoal(`bad-nochecks-${RUN}`, { repository: repo, goal: 'x' });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/no checks were given and none were found/);
    expect(await containersOfGoal(`bad-nochecks-${RUN}`)).toEqual([]);
  });

  test('a model that never calls finish stops at the iteration limit', async () => {
    const repo = makeGitRepo('demo-repo');
    for (let i = 0; i < 3; i++)
      stack.model.push({ type: 'tool_calls', calls: [{ name: 'list_files', arguments: {} }] });
    const result = await runGoal(`bad-nofinish-${RUN}`, { repository: repo, goal: 'x', policy: { maxIterations: 3 } });
    expect(result.status).toBe('budget_exhausted');
    expect(result.reason).toMatch(/max iterations \(3\)/);
    expect(result.pr).toBeUndefined();
    expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
    expect(await containersOfGoal(`bad-nofinish-${RUN}`)).toEqual([]);
  });
});

test('starting the same goal id while it runs is a clear error, not a second run', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push({ type: 'hang', ms: 3000 }, ...loadScript(fixturePath('scripts/demo.json')));
  const first = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: `e2e-dup-${RUN}`,
    args: [{ repository: repo, goal: DEMO_GOAL }],
  });
  await expect(
    stack.env.client.workflow.start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: `e2e-dup-${RUN}`,
      args: [{ repository: repo, goal: DEMO_GOAL }],
    }),
  ).rejects.toThrow(/already started/i);
  const result = await readGoalResult(first);
  expect(result.status).toBe('succeeded');
});
