/**
 * The demo goal fixed with the `*** Begin Patch` envelope models are trained on:
 * real dev server, real workers, real Docker, real git and the scripted model
 * (test/fixtures/scripts/demo-envelope.json), to a succeeded PR whose diff is the fix.
 */
import { readFileSync } from 'fs';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import { loadScript } from '../../scripted-model';
import { useAgentStack } from '../support/agent-stack';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const SCRIPT = fixturePath('scripts/demo-envelope.json');

const stack = useAgentStack({ vars: { DRYDOCK_MODEL: 'scripted' } });

test('the scripted model fixes the demo with an apply_patch envelope, and the PR holds exactly the fix', async () => {
  const patch = readFileSync(SCRIPT, 'utf8');
  expect(patch).toContain('*** Begin Patch');
  expect(patch).not.toContain('+++ b/');

  const repo = makeGitRepo('demo-repo');
  stack.model.push(...loadScript(SCRIPT));
  const result: GoalResult = await stack.env.client.workflow
    .start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: `e2e-envelope-${RUN}`,
      args: [{ repository: repo, goal: 'Make the failing test in test/math.test.js pass' }],
    })
    .then(readGoalResult);

  expect(result.status).toBe('succeeded');
  expect(result.checks).toEqual([expect.objectContaining({ command: 'npm test', exitCode: 0, passed: true })]);
  const branch = result.pr!.branch;
  expect(gitIn(repo, 'diff', '--name-only', 'main', branch)).toBe('src/math.js');
  const diff = gitIn(repo, 'diff', '--numstat', 'main', branch);
  expect(diff).toBe('1\t1\tsrc/math.js');
  const lines = gitIn(repo, 'diff', '-U0', 'main', branch)
    .split('\n')
    .filter((line) => /^[-+][^-+]/.test(line));
  expect(lines).toEqual(['-  return a - b;', '+  return a + b;']);
});
