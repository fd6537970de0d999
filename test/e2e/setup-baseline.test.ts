/**
 * Setup output is environment, not change (issue 15, item 1), end to end: the
 * workspace as the setup phase leaves it is the baseline of the change, of the
 * checkpoints and of a restore. A venv the repository does not ignore, a
 * node_modules and a lockfile rewritten by setup never reach the PR; what the
 * agent does does; a sandbox lost after setup is rebuilt to the same PR.
 */
import { randomBytes } from 'crypto';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { containerNameFor } from '../../activities/sandbox/names';
import { useAgentStack } from '../support/agent-stack';
import { containersOfGoal, docker } from '../support/docker';
import { loadScript } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';

const RUN = randomBytes(3).toString('hex');

const stack = useAgentStack({ vars: { DRYDOCK_MODEL: 'scripted', DRYDOCK_POOL_SIZE: '0' } });

/** A venv in the workspace, as its users make it (offline: pytest comes from the image, pip from ensurepip). */
const VENV_SETUP = 'python3 -m venv --system-site-packages .venv && .venv/bin/python -m pytest --version';
const VENV_CHECK = '.venv/bin/python -m pytest -q';
const MEAN_FIX =
  '--- a/calc.py\n+++ b/calc.py\n@@ -1,3 +1,3 @@\n def mean(values):\n     """The arithmetic mean of a non-empty list."""\n-    return sum(values) / (len(values) + 1)\n+    return sum(values) / len(values)\n';

/** A JS-like setup that does not need the network: it fills node_modules and rewrites the lockfile, as `npm install` would, and builds. */
const NPM_SETUP = [
  'mkdir -p node_modules/x dist',
  "echo 'built' > dist/bundle.js",
  "echo 'module.exports = 1;' > node_modules/x/index.js",
  'printf \'{ "lockfileVersion": 3, "rewrittenBy": "setup" }\\n\' > package-lock.json',
].join(' && ');

function demoPatch(): string {
  const script = loadScript(fixturePath('scripts/demo.json')) as {
    calls?: { name: string; arguments: { patch?: string } }[];
  }[];
  return script.flatMap((t) => t.calls ?? []).find((c) => c.name === 'apply_patch')?.arguments.patch ?? '';
}

function runGoal(workflowId: string, input: GoalInput): Promise<GoalResult> {
  return stack.env.client.workflow.execute('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] });
}

/** A PR record as the local code host wrote it. */
function prRecord(id: string): { files: { path: string }[]; body: string } {
  return JSON.parse(readFileSync(path.join(stack.workers.config.dataDir, 'prs', `${id}.json`), 'utf8')) as {
    files: { path: string }[];
    body: string;
  };
}

/** The paths a PR branch changes against main. */
function changedPaths(repo: string, branch: string): string[] {
  return gitIn(repo, 'diff', '--name-only', 'main', branch).split('\n').filter(Boolean).sort();
}

/** The demo repository with a lockfile that does not ignore node_modules. */
function jsRepo(): string {
  const repo = makeGitRepo('demo-repo');
  writeFileSync(path.join(repo, 'package-lock.json'), '{ "lockfileVersion": 1 }\n');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'lockfile');
  return repo;
}

/** Names of the activities a workflow scheduled, in order. */
async function scheduledActivities(workflowId: string): Promise<string[]> {
  const history = await stack.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes?.activityType?.name
      ? [e.activityTaskScheduledEventAttributes.activityType.name]
      : [],
  );
}

test("a Python repository whose setup makes .venv: the checks use the venv, the PR changes only the agent's file", async () => {
  const repo = makeGitRepo('py-repo');
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: MEAN_FIX } }] },
    {
      type: 'tool_calls',
      calls: [{ name: 'finish', arguments: { summary: 'Fixed mean()', rationale: 'n, not n+1' } }],
    },
  );
  const result = await runGoal(`bl-venv-${RUN}`, {
    repository: repo,
    goal: 'Make the failing test pass',
    setup: { script: VENV_SETUP },
    checks: [VENV_CHECK],
  });
  expect(result.status).toBe('succeeded');
  expect(changedPaths(repo, result.pr!.branch)).toEqual(['calc.py']);
  expect(prRecord(result.pr!.id).files.map((f) => f.path)).toEqual(['calc.py']);
  expect(result.checks).toEqual([expect.objectContaining({ command: VENV_CHECK, passed: true, cleanRoom: true })]);
  expect(await containersOfGoal(`bl-venv-${RUN}`)).toEqual([]);
}, 240_000);

test('a setup that fills node_modules and rewrites the lockfile: the PR holds the fix only and names the lockfile', async () => {
  const repo = jsRepo();
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const result = await runGoal(`bl-npm-${RUN}`, {
    repository: repo,
    goal: 'Make the failing test in test/math.test.js pass',
    setup: { script: NPM_SETUP },
  });
  expect(result.status).toBe('succeeded');
  expect(changedPaths(repo, result.pr!.branch)).toEqual(['src/math.js']);
  expect(gitIn(repo, 'show', `${result.pr!.branch}:package-lock.json`)).toBe('{ "lockfileVersion": 1 }');
  const body = prRecord(result.pr!.id).body;
  expect(body).toMatch(/## Changed by setup, not published \(1 file\)[\s\S]*- `package-lock\.json`/);
}, 240_000);

test("a lockfile that setup rewrote and the agent edited too is published as the agent's", async () => {
  const repo = jsRepo();
  const agentLock = '{ "lockfileVersion": 3, "editedBy": "agent" }\n';
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    {
      type: 'tool_calls',
      calls: [{ name: 'write_file', arguments: { path: 'package-lock.json', content: agentLock } }],
    },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const result = await runGoal(`bl-npm-agent-${RUN}`, {
    repository: repo,
    goal: 'Make the failing test in test/math.test.js pass',
    setup: { script: NPM_SETUP },
  });
  expect(result.status).toBe('succeeded');
  expect(changedPaths(repo, result.pr!.branch)).toEqual(['package-lock.json', 'src/math.js']);
  expect(gitIn(repo, 'show', `${result.pr!.branch}:package-lock.json`)).toBe(agentLock.trim());
  expect(prRecord(result.pr!.id).body).not.toContain('Changed by setup, not published');
}, 240_000);

test('a sandbox lost after setup is rebuilt: setup again, the baseline, the agent checkpoint; the PR is the same', async () => {
  const id = `bl-lost-${RUN}`;
  const repo = makeGitRepo('py-repo');
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: MEAN_FIX } }] },
    {
      type: 'tool_calls',
      // Into a folder setup made (not .venv: Python 3.13's venv ignores itself with its own .gitignore).
      calls: [{ name: 'write_file', arguments: { path: 'build/NOTES.md', content: 'kept by the agent\n' } }],
    },
    {
      type: 'tool_calls',
      calls: [
        {
          name: 'shell',
          arguments: {
            command: 'sleep 4 && .venv/bin/python -c "import calc; print(\'mean is\', calc.mean([1, 2, 3]))"',
          },
        },
      ],
    },
    // The interrupted call ran again on the new sandbox: its venv (setup again) and the agent's fix (the checkpoint).
    {
      type: 'tool_calls',
      calls: [{ name: 'finish', arguments: { summary: 'Fixed mean()', rationale: 'n, not n+1' } }],
      expect: { lastMessageIncludes: 'mean is 2.0' },
    },
  );
  const result = runGoal(id, {
    repository: repo,
    goal: 'Make the failing test pass',
    setup: { script: `${VENV_SETUP} && mkdir -p build && echo built > build/out.txt` },
    checks: [VENV_CHECK],
    policy: { sandboxLossTimeoutSeconds: 10 },
  });
  const until = Date.now() + 120_000;
  while (stack.model.requests.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500));
  await docker.getContainer(containerNameFor(id)).remove({ force: true, v: true });
  const done = await result;

  expect(done.status).toBe('succeeded');
  expect(changedPaths(repo, done.pr!.branch)).toEqual(['build/NOTES.md', 'calc.py']);
  expect(gitIn(repo, 'show', `${done.pr!.branch}:calc.py`)).toContain('return sum(values) / len(values)');
  const activities = await scheduledActivities(id);
  expect(activities.filter((a) => a === 'provisionSandbox')).toHaveLength(2);
  expect(activities.filter((a) => a === 'recordBaseline')).toHaveLength(2);
  expect(activities.filter((a) => a === 'restoreWorkspace')).toHaveLength(1);
  expect(await containersOfGoal(id)).toEqual([]);
}, 240_000);
