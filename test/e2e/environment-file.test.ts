/**
 * `.drydock/environment.json` as the contract of a goal: its checks run
 * instead of the detected ones and its env reaches the agent's commands and
 * the checks (in the clean room too); the goal's --setup and --check override
 * the file's; a malformed file ends the goal before anything runs, with one
 * line per problem, no container left and nothing published.
 */
import { randomBytes } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { useAgentStack } from '../support/agent-stack';
import { containersOfGoal } from '../support/docker';
import { gitIn, makeGitRepo } from '../support/git-fixtures';

const RUN = randomBytes(3).toString('hex');
const GOAL = 'Make the failing test in test_calc.py pass';
/** The fix of py-repo's mean(). */
const FIX = {
  path: 'calc.py',
  content:
    'def mean(values):\n    """The arithmetic mean of a non-empty list."""\n    return sum(values) / len(values)\n',
};

const stack = useAgentStack();

/** py-repo with an environment file committed, and a .gitignore that keeps the venv out of the change. */
function pythonRepo(environment: unknown): string {
  const repo = makeGitRepo('py-repo');
  mkdirSync(path.join(repo, '.drydock'));
  writeFileSync(
    path.join(repo, '.drydock', 'environment.json'),
    typeof environment === 'string' ? environment : JSON.stringify(environment),
  );
  writeFileSync(path.join(repo, '.gitignore'), '.venv/\n');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'environment');
  return repo;
}

async function start(workflowId: string, input: GoalInput) {
  return stack.env.client.workflow.start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] });
}

test("the file's checks run instead of the detected ones, and its env reaches the agent's shell and the checks", async () => {
  const repo = pythonRepo({
    // Offline: the venv sees the image's pytest.
    setup: 'python3 -m venv --system-site-packages --without-pip .venv',
    checks: [
      'python -m pytest -q',
      'test "$CALC_MODE" = strict',
      'test "$(command -v python)" = /workspace/.venv/bin/python',
    ],
    env: { PATH: '/workspace/.venv/bin:$PATH', CALC_MODE: 'strict' },
  });
  stack.model.push(
    {
      type: 'tool_calls',
      calls: [{ name: 'shell', arguments: { command: 'echo "mode=$CALC_MODE python=$(command -v python)"' } }],
    },
    {
      type: 'tool_calls',
      calls: [
        { name: 'write_file', arguments: FIX },
        { name: 'finish', arguments: { summary: 'Fixed mean()', rationale: 'divide by the count' } },
      ],
      expect: { lastMessageIncludes: 'mode=strict python=/workspace/.venv/bin/python' },
    },
  );
  const workflowId = `envfile-checks-${RUN}`;
  const result = (await (await start(workflowId, { repository: repo, goal: GOAL })).result()) as GoalResult;
  expect(result.reason).toBeUndefined();
  expect(result.status).toBe('succeeded');
  // Detection would have said `.venv/bin/python -m pytest -q`; the file's checks ran, in the clean room.
  expect(result.checks.map((c) => [c.command, c.passed, c.cleanRoom])).toEqual([
    ['python -m pytest -q', true, true],
    ['test "$CALC_MODE" = strict', true, true],
    ['test "$(command -v python)" = /workspace/.venv/bin/python', true, true],
  ]);
  expect(await containersOfGoal(workflowId)).toEqual([]);
}, 180_000);

test("the goal's --setup and --check override the file's setup and checks", async () => {
  const repo = pythonRepo({ setup: 'echo the file setup ran; exit 3', checks: ['false'] });
  stack.model.push({
    type: 'tool_calls',
    calls: [
      { name: 'write_file', arguments: FIX },
      { name: 'finish', arguments: { summary: 'Fixed mean()', rationale: 'divide by the count' } },
    ],
  });
  const workflowId = `envfile-override-${RUN}`;
  const result = (await (
    await start(workflowId, {
      repository: repo,
      goal: GOAL,
      setup: { script: 'touch /tmp/goal-setup-ran' },
      checks: ['test -f /tmp/goal-setup-ran && python3 -m pytest -q'],
    })
  ).result()) as GoalResult;
  expect(result.reason).toBeUndefined();
  expect(result.status).toBe('succeeded');
  expect(result.checks.map((c) => [c.command, c.passed])).toEqual([
    ['test -f /tmp/goal-setup-ran && python3 -m pytest -q', true],
  ]);
}, 180_000);

test('a malformed file ends the goal with one InvalidEnvironment message listing every problem; nothing is left', async () => {
  const repo = pythonRepo({
    setup: 'touch /tmp/should-not-run',
    checks: 'pytest',
    chekcs: ['pytest'],
    env: { '1BAD': 'x' },
    toolchains: { node: 'banana' },
  });
  const workflowId = `envfile-bad-${RUN}`;
  const handle = await start(workflowId, { repository: repo, goal: GOAL });
  const failure = await handle.result().then(
    () => undefined,
    (err: { cause?: { type?: string; message?: string } }) => err.cause,
  );
  expect(failure?.type).toBe('InvalidEnvironment');
  expect(failure?.message?.split('\n')).toEqual([
    '.drydock/environment.json: checks: must be a list of command strings, got "pytest"',
    '.drydock/environment.json: env.1BAD: "1BAD" is not a variable name (letters, digits and _, not starting with a digit)',
    '.drydock/environment.json: toolchains.node: "banana" is not a Node version (use a major such as 22, or an exact version such as 22.11.0)',
    '.drydock/environment.json: unknown key "chekcs" (did you mean "checks"?)',
  ]);
  // Before setup: no setup activity ran, no PR branch, no container.
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  expect(scheduled).not.toContain('runSetup');
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
  expect(await containersOfGoal(workflowId)).toEqual([]);
}, 120_000);

test('with no checks named, a virtualenv setup leaves in .venv is detected after setup and its python runs pytest', async () => {
  const repo = pythonRepo({ setup: 'python3 -m venv --system-site-packages --without-pip .venv' });
  stack.model.push({
    type: 'tool_calls',
    calls: [
      { name: 'write_file', arguments: FIX },
      { name: 'finish', arguments: { summary: 'Fixed mean()', rationale: 'divide by the count' } },
    ],
  });
  const result = (await (await start(`envfile-venv-${RUN}`, { repository: repo, goal: GOAL })).result()) as GoalResult;
  expect(result.reason).toBeUndefined();
  expect(result.status).toBe('succeeded');
  expect(result.checks.map((c) => [c.command, c.passed])).toEqual([['.venv/bin/python -m pytest -q', true]]);
}, 180_000);
