/**
 * Reads that run on the agent worker (through a short workflow on
 * drydock-agent), for data that lives where the workers are: PR records,
 * model profiles, a goal's diff and log. A clear error when no agent worker
 * answers in time.
 */
import { randomUUID } from 'crypto';
import { TimeoutFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { AGENT_QUEUE } from '../workflows/queues';
import type { ClientConfig } from './config';
import { UnreachableError } from './errors';

/** How long a read on the agent worker may take before the CLI says no agent worker answers. */
export const AGENT_READ_TIMEOUT_SECONDS = 10;

/** Runs `workflowType(args)` on the agent queue and returns its answer; `what` names the data in errors. */
export async function readOnAgent<T>(
  client: Client,
  config: ClientConfig,
  workflowType: string,
  args: unknown[],
  what: string,
): Promise<T> {
  try {
    return (await client.workflow.execute(workflowType, {
      taskQueue: AGENT_QUEUE,
      workflowId: `drydock-${workflowType}-${randomUUID().slice(0, 8)}`,
      args,
      workflowExecutionTimeout: `${AGENT_READ_TIMEOUT_SECONDS}s`,
    })) as T;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
      throw new UnreachableError(
        `no agent worker answered on ${AGENT_QUEUE} within ${AGENT_READ_TIMEOUT_SECONDS} s (namespace ${config.namespace}); ${what} are read on the agent worker: start it with \`npm run worker\``,
      );
    }
    if (err instanceof WorkflowFailedError) throw new Error(`reading ${what} failed: ${innermostMessage(err)}`);
    throw err;
  }
}

/** The message of the deepest cause of a failure (the activity's own error). */
function innermostMessage(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}
