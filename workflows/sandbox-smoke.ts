/**
 * sandboxSmoke: proves the chain Temporal → sandbox worker → Docker. Provisions
 * a hardened container, runs one command in it, returns the output, and always
 * removes the container (on success, failure and cancellation).
 */
import { CancellationScope, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { SandboxActivities } from '../activities/activity-types';
import { SANDBOX_QUEUE } from './queues';

/** Input of sandboxSmoke. */
export interface SandboxSmokeInput {
  /** argv to run; `uname -a` and `id` when absent. */
  command?: string[];
}

/** What sandboxSmoke returns. */
export interface SandboxSmokeResult {
  host: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

const provisioning = proxyActivities<SandboxActivities>({
  taskQueue: SANDBOX_QUEUE,
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 3 },
});

/** Runs one command in a fresh sandbox and removes the sandbox. */
export async function sandboxSmoke(input: SandboxSmokeInput = {}): Promise<SandboxSmokeResult> {
  const command = input.command ?? ['sh', '-c', 'id && uname -sr'];
  const sandbox = await provisioning.provisionSandbox({ goalId: workflowInfo().workflowId });
  const onHost = proxyActivities<SandboxActivities>({
    taskQueue: sandbox.taskQueue,
    startToCloseTimeout: '2m',
    retry: { maximumAttempts: 3 },
  });
  try {
    const result = await onHost.runCommand({ sandbox, argv: command, timeoutSeconds: 60 });
    return { host: sandbox.host, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  } finally {
    await CancellationScope.nonCancellable(() => onHost.destroySandbox({ sandbox }));
  }
}
