/** `drydock smoke`: runs the sandboxSmoke workflow and prints what the sandbox answered. */
import { randomUUID } from 'crypto';
import { AGENT_QUEUE, SANDBOX_QUEUE } from '../workflows/queues';
import type { SandboxSmokeResult } from '../workflows/sandbox-smoke';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { printJson, printText } from './output';

/** Starts sandboxSmoke on the agent queue and waits for its result. */
export async function smoke(config: ClientConfig, command: string[], json: boolean): Promise<number> {
  const { client, close } = await connectClient(config);
  try {
    const workflowId = `smoke-${randomUUID().slice(0, 8)}`;
    const result: SandboxSmokeResult = await client.workflow.execute('sandboxSmoke', {
      taskQueue: AGENT_QUEUE,
      workflowId,
      args: [command.length > 0 ? { command } : {}],
      workflowExecutionTimeout: '5m',
    });
    if (json) printJson({ workflowId, ...result });
    else
      printText(
        `${workflowId} on ${result.host} (via ${SANDBOX_QUEUE}): exit ${result.exitCode}\n${result.stdout}${result.stderr}`,
      );
    return result.exitCode === 0 ? 0 : 1;
  } finally {
    await close();
  }
}
