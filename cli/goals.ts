/** `drydock status`, `result` and `cancel`: one goal, by workflow id. */
import {
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import type { GoalResult, GoalStatusView } from '../workflows/types';
import { describeSandboxIsolation, describeSandboxLimits } from '../activities/shared/sandbox-policy-text';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { RefusedError, UsageError } from './errors';
import { printError, printFields, printJson, printText } from './output';
import { readGoalResult } from './goal-result';
import { queryWithWorker } from './pollers';
import { describeCurrentCall, describeWait, phaseText } from './waiting';
import { formatUsd } from '../activities/shared/usage-text';

/** Prints the status query's answer. */
export async function status(config: ClientConfig, id: string | undefined, json: boolean): Promise<number> {
  return withGoal(config, id, async (handle, client) => {
    const view: GoalStatusView = await queryWithWorker(client, config.namespace, () => handle.query(statusQuery));
    if (json) {
      printJson(view);
      return 0;
    }
    const now = Date.now();
    const wait = describeWait(view, now);
    printFields([
      ['goal', `${view.workflowId}: ${firstLine(view.goal)}`],
      ['repository', view.repository],
      ['phase', phaseText(view)],
      ['waiting for', wait ? [wait.what, wait.since, wait.until].filter(Boolean).join(', ') : undefined],
      ['answer with', wait?.commands.join('\n') || undefined],
      ['running now', describeCurrentCall(view, now)],
      ['iteration', `${view.iteration} / ${view.maxIterations}`],
      [
        'tokens',
        `${view.usage.totalTokens} (prompt ${view.usage.promptTokens}, completion ${view.usage.completionTokens})`,
      ],
      ['cost', costText(view.costUsd, view.limits?.maxCostUsd)],
      [
        'last tool',
        view.lastTool
          ? `${view.lastTool.name} ${view.lastTool.argumentsPreview.slice(0, 80)} → ${view.lastTool.summary}`
          : undefined,
      ],
      ['checks', `${view.checks.state}${view.checks.results.map((c) => `  ${c.command} → ${c.exitCode}`).join('')}`],
      ['sandbox host', view.sandboxHost],
      ['environment', view.environment],
      ['sandbox limits', view.sandboxLimits ? describeSandboxLimits(view.sandboxLimits) : undefined],
      ['sandbox policy', view.sandboxPolicy ? describeSandboxIsolation(view.sandboxPolicy) : undefined],
      [
        'result',
        view.result ? `${view.result.status}${view.result.reason ? `: ${view.result.reason}` : ''}` : undefined,
      ],
    ]);
    return 0;
  });
}

export { describeSandboxLimits } from '../activities/shared/sandbox-policy-text';

/** Waits for the goal's result and prints it; exit 1 unless it succeeded. */
export async function result(config: ClientConfig, id: string | undefined, json: boolean): Promise<number> {
  return withGoal(config, id, async (handle) => {
    let r: GoalResult;
    try {
      r = await readGoalResult(handle);
    } catch (err) {
      if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) {
        if (json) printJson({ workflowId: id, status: 'cancelled' });
        else printError(`drydock: goal ${id} was cancelled\n`);
        return 1;
      }
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause?.message ?? err.message;
        if (json) printJson({ workflowId: id, status: 'failed', reason: cause });
        else printError(`drydock: goal ${id} failed: ${cause}\n`);
        return 1;
      }
      throw err;
    }
    if (json) printJson({ workflowId: id, ...r });
    else printResult(handle.workflowId, r);
    return r.status === 'succeeded' ? 0 : 1;
  });
}

/** Asks Temporal to cancel the goal (the workflow tears its sandbox down); a goal that already ended is refused, with its state. */
export async function cancel(config: ClientConfig, id: string | undefined): Promise<number> {
  return withGoal(config, id, async (handle) => {
    const state = (await handle.describe()).status.name;
    if (state !== 'RUNNING') {
      throw new RefusedError(`goal ${id} already ended (${state.toLowerCase().replace(/_/g, ' ')}); nothing to cancel`);
    }
    await handle.cancel();
    printText(`cancellation requested for ${id}\n`);
    return 0;
  });
}

/** Prints a GoalResult for people. */
export function printResult(id: string, r: GoalResult): void {
  printFields([
    ['goal', id],
    ['status', r.status],
    ['summary', r.summary],
    ['reason', r.reason],
    ['pull request', r.pr ? `${r.pr.branch} → ${r.pr.base} (${r.pr.location})` : undefined],
    ['checks', r.checks.map((c) => `${c.command} → exit ${c.exitCode}`).join(', ') || undefined],
    ['model turns', r.iterations],
    ['tokens', r.usage.totalTokens],
    ['cost', costText(r.costUsd)],
  ]);
}

/** Dollars spent, against the limit when there is one; `not priced` when the model has no price. */
export function costText(costUsd: number | undefined, limit?: number): string {
  if (costUsd === undefined) return 'not priced';
  return `${formatUsd(costUsd)}${limit !== undefined ? ` of $${limit}` : ''}`;
}

/** Connects, runs `run` with the goal's handle, and turns "no such workflow" into a usage error naming the id. */
export async function withGoal(
  config: ClientConfig,
  id: string | undefined,
  run: (handle: WorkflowHandle, client: Client) => Promise<number>,
): Promise<number> {
  if (id === undefined) throw new UsageError('give the goal id (the workflow id `drydock start` printed)');
  if (id.trim() === '') throw new UsageError('the goal id is empty; give the workflow id `drydock start` printed');
  const { client, close } = await connectClient(config);
  try {
    return await run(client.workflow.getHandle(id), client);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new UsageError(`no goal with id ${id} in namespace ${config.namespace}`);
    throw err;
  } finally {
    await close();
  }
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
