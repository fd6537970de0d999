/**
 * Steering replies that are true: `cancel` on a goal that already ended says
 * so and fails instead of reporting success, and `result` calls a cancelled
 * goal cancelled, not failed. An agent worker alone: the goal waits for a
 * sandbox worker that never comes, so it is running when cancelled.
 */
import { randomBytes } from 'crypto';
import { AGENT_QUEUE } from '../../workflows/queues';
import { runCli, useAgentWorker } from '../support/cli';

const stack = useAgentWorker();

test('cancel a running goal, then: result says cancelled, and a second cancel is refused with the goal state', async () => {
  const id = `cli-cancel-${randomBytes(3).toString('hex')}`;
  await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: id,
    args: [{ repository: '/tmp/no-such-repo-needed', goal: 'Wait for a sandbox that never comes' }],
  });
  const first = await runCli(['cancel', id], stack.cliEnv);
  expect(first).toMatchObject({ code: 0, stdout: `cancellation requested for ${id}\n` });

  const result = await runCli(['result', id], stack.cliEnv);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(`drydock: goal ${id} was cancelled\n`);
  const json = await runCli(['result', id, '--json'], stack.cliEnv);
  expect(JSON.parse(json.stdout)).toEqual({ workflowId: id, status: 'cancelled' });

  const again = await runCli(['cancel', id], stack.cliEnv);
  expect(again.code).toBe(4);
  expect(again.stderr).toBe(`drydock: goal ${id} already ended (cancelled); nothing to cancel\n`);
}, 60_000);
