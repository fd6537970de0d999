/**
 * sandboxSmoke against the real dev server, the real workers and the real
 * Docker engine: the command runs in a hardened container that is always removed.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import { startTestEnvironment } from '../support/test-env';
import { startWorkers, type RunningWorkers } from '../support/workers';
import { containersOfGoal } from '../support/docker';

let env: TestWorkflowEnvironment;
/** Suffix of this run's workflow ids: container names come from them, and Docker is shared. */
const RUN = Math.random().toString(36).slice(2, 8);
let workers: RunningWorkers;

beforeAll(async () => {
  env = await startTestEnvironment();
  workers = await startWorkers(env);
}, 120_000);

afterAll(async () => {
  await workers?.stop();
  await env?.teardown();
});

test('runs a command in a hardened sandbox as a non-root user and removes the container', async () => {
  const result = await env.client.workflow.execute('sandboxSmoke', {
    taskQueue: AGENT_QUEUE,
    workflowId: `smoke-ok-${RUN}`,
    args: [{ command: ['sh', '-c', 'id -u; grep -E "^(NoNewPrivs|CapEff)" /proc/self/status; ls /sys/class/net'] }],
  });
  expect(result.exitCode).toBe(0);
  expect(result.host).toBe('testhost');
  const [uid, ...rest] = result.stdout.trim().split('\n');
  expect(uid).toBe('1000');
  expect(rest).toContain('NoNewPrivs:\t1');
  expect(rest).toContain('CapEff:\t0000000000000000');
  expect(rest).toEqual(expect.arrayContaining(['lo']));
  expect(rest.filter((l: string) => /^eth/.test(l))).toEqual([]);
  expect(await containersOfGoal(`smoke-ok-${RUN}`)).toEqual([]);
});

test('a failing command is a result, and the container is still removed', async () => {
  const result = await env.client.workflow.execute('sandboxSmoke', {
    taskQueue: AGENT_QUEUE,
    workflowId: `smoke-fail-${RUN}`,
    args: [{ command: ['sh', '-c', 'echo broken >&2; exit 3'] }],
  });
  expect(result.exitCode).toBe(3);
  expect(result.stderr).toContain('broken');
  expect(await containersOfGoal(`smoke-fail-${RUN}`)).toEqual([]);
});

test('cancelling the workflow mid-command leaves no container', async () => {
  const handle = await env.client.workflow.start('sandboxSmoke', {
    taskQueue: AGENT_QUEUE,
    workflowId: `smoke-cancel-${RUN}`,
    args: [{ command: ['sleep', '300'] }],
  });
  const deadline = Date.now() + 60_000;
  while ((await containersOfGoal(`smoke-cancel-${RUN}`)).length === 0) {
    if (Date.now() > deadline) throw new Error('the container never appeared');
    await new Promise((r) => setTimeout(r, 200));
  }
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  expect(await containersOfGoal(`smoke-cancel-${RUN}`)).toEqual([]);
});
