/**
 * Current toolchains and room to work, end to end on the real stack (the
 * sandbox worker on a 256 MiB disk, so that filling it is quick):
 * `toolchains.node: 22` runs the agent's commands and the clean-room checks on
 * Node 22; an unpublished version, and a setup that fills the home folder,
 * each end with one clear failure, no container left and no branch.
 */
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { useAgentStack } from '../support/agent-stack';
import { containersOfGoal } from '../support/docker';
import { gitIn, makeGitRepo } from '../support/git-fixtures';

const stack = useAgentStack({ vars: { DRYDOCK_SANDBOX_DISK: '256m' } });
const RUN = Math.random().toString(36).slice(2, 8);

/** A demo repository whose environment file is this JSON. */
function repoWithEnvironment(environment: unknown): string {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, '.drydock'), { recursive: true });
  writeFileSync(path.join(repo, '.drydock', 'environment.json'), JSON.stringify(environment));
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'environment');
  return repo;
}

/** The workflow's failure (type and message) for a goal that must fail. */
async function failureOf(workflowId: string, input: GoalInput): Promise<{ type?: string; message: string }> {
  const err = await stack.env.client.workflow
    .execute('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as { type?: string; message: string };
}

test('toolchains.node 22: the agent and the clean-room checks run Node 22 and its npm', async () => {
  const repo = repoWithEnvironment({ toolchains: { node: '22' } });
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: 'node --version > NODE.txt' } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'noted the Node', rationale: 'v22' } }] },
  );
  const workflowId = `node22-${RUN}`;
  const result = (await stack.env.client.workflow.execute('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    args: [
      {
        repository: repo,
        goal: 'Write the Node version to NODE.txt',
        checks: ['grep -q "^v22\\." NODE.txt', 'node --version | grep "^v22\\."', 'npm --version'],
      },
    ],
  })) as GoalResult;
  expect(result.reason).toBeUndefined();
  expect(result.status).toBe('succeeded');
  expect(result.checks.map((c) => c.passed)).toEqual([true, true, true]);
  expect(gitIn(repo, 'show', `${result.pr?.branch ?? 'drydock/none'}:NODE.txt`)).toMatch(/^v22\.\d+\.\d+$/);
  expect(await containersOfGoal(workflowId)).toEqual([]);
}, 300_000);

test('an unpublished Node version fails the goal clearly, with no container and no branch', async () => {
  const repo = repoWithEnvironment({ toolchains: { node: '99' } });
  const workflowId = `node99-${RUN}`;
  const failure = await failureOf(workflowId, { repository: repo, goal: 'x', checks: ['true'] });
  expect(failure.type).toBe('ToolchainUnavailable');
  expect(failure.message).toMatch(
    /Node "99" \(\.drydock\/environment\.json toolchains\.node\) is not a published Node version/,
  );
  expect(await containersOfGoal(workflowId)).toEqual([]);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
}, 120_000);

test('a setup that fills the home folder fails naming the disk size and DRYDOCK_SANDBOX_DISK', async () => {
  const repo = repoWithEnvironment({ setup: 'dd if=/dev/zero of="$HOME/cache.bin" bs=1M count=400 status=none' });
  const workflowId = `full-${RUN}`;
  const failure = await failureOf(workflowId, { repository: repo, goal: 'x', checks: ['true'] });
  expect(failure.type).toBe('SetupOutOfRoom');
  expect(failure.message).toMatch(
    /the sandbox's disk is full: \/workspace and \/home\/drydock \(package caches included\) share 256 MiB \(DRYDOCK_SANDBOX_DISK/,
  );
  expect(failure.message).toMatch(/No space left on device/);
  expect(await containersOfGoal(workflowId)).toEqual([]);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
}, 120_000);
