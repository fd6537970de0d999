/** `drydock feedback`, `approve`, `extend` and `finish-now`: steer a running goal. */
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  approvePlanUpdate,
  approvePublishUpdate,
  extendBudgetUpdate,
  feedbackSignal,
  finishNowUpdate,
  statusQuery,
} from '../workflows/messages';
import type { BudgetExtension, GoalStatusView } from '../workflows/types';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { RefusedError, UsageError } from './errors';
import { userIdentity } from './identity';
import { printError, printJson, printText } from './output';
import { queryWithWorker } from './pollers';
import { describeWait, phaseText } from './waiting';

async function withHandle<T>(
  config: ClientConfig,
  id: string | undefined,
  run: (h: WorkflowHandle, client: Client) => Promise<T>,
): Promise<T> {
  if (id === undefined) throw new UsageError('give the goal id (the workflow id `drydock start` printed)');
  if (id.trim() === '') throw new UsageError('the goal id is empty; give the workflow id `drydock start` printed');
  const { client, close } = await connectClient(config);
  try {
    return await run(client.workflow.getHandle(id), client);
  } catch (err) {
    // An update the workflow refused (a validator) says why in its cause.
    if (err instanceof WorkflowUpdateFailedError) throw new RefusedError(`${id}: ${err.cause?.message ?? err.message}`);
    if (err instanceof Error && err.name === 'WorkflowNotFoundError')
      throw new UsageError(`no running goal with id ${id}`);
    throw err;
  } finally {
    await close();
  }
}

/** Sends a person's message; the goal reads it before its next model turn. */
export async function feedback(
  config: ClientConfig,
  id: string | undefined,
  message: string | undefined,
): Promise<number> {
  if (!message?.trim()) throw new UsageError('usage: drydock feedback <id> "<message>"');
  await withHandle(config, id, (h) => h.signal(feedbackSignal, message));
  printText(`feedback sent to ${id}\n`);
  return 0;
}

/** Approves (or with --reject, sends back) the plan or the change a goal waits on. */
export async function approve(
  config: ClientConfig,
  gate: string | undefined,
  id: string | undefined,
  o: { reject?: boolean; comment?: string; json?: boolean },
): Promise<number> {
  if (gate !== 'plan' && gate !== 'publish')
    throw new UsageError('usage: drydock approve plan|publish <id> [--reject] [--comment "…"]');
  const update = gate === 'plan' ? approvePlanUpdate : approvePublishUpdate;
  const by = userIdentity();
  if (o.reject && !o.comment?.trim())
    printError(
      `drydock: note: --reject without --comment ends the goal; give --comment "…" to send the ${gate === 'plan' ? 'plan' : 'change'} back to the model with what to change instead\n`,
    );
  const answer = await withHandle(config, id, (h) =>
    h.executeUpdate(update, { args: [{ approved: !o.reject, comment: o.comment, by }] }),
  );
  if (o.json) printJson({ workflowId: id, gate, answer });
  else printText(`${id}: ${answer}\n`);
  return 0;
}

/** Raises a goal's budget (a goal waiting with onExhausted "ask" goes on). */
export async function extend(
  config: ClientConfig,
  id: string | undefined,
  e: BudgetExtension,
  json: boolean,
): Promise<number> {
  if (Object.values(e).every((v) => v === undefined))
    throw new UsageError('extend: give at least one of --tokens, --cost, --iterations, --seconds');
  const limits = await withHandle(config, id, (h) => h.executeUpdate(extendBudgetUpdate, { args: [e] }));
  if (json) printJson(limits);
  else
    printText(
      `${id}: limits now ${limits.maxIterations} turns, ${limits.maxTotalTokens} tokens${limits.maxCostUsd !== undefined ? `, $${limits.maxCostUsd}` : ''}, deadline ${new Date(limits.deadlineAt).toISOString()}\n`,
    );
  return 0;
}

/** Tells a goal waiting for budget to publish what it has; refused (with what it does instead) when it does not wait for budget. */
export async function finishNow(config: ClientConfig, id: string | undefined): Promise<number> {
  const reply = await withHandle(config, id, async (h, client) => {
    const view: GoalStatusView = await queryWithWorker(client, config.namespace, () => h.query(statusQuery));
    const waitsForBudget = view.waiting?.kind === 'budget' || /extendBudget|finishNow/.test(view.waitingFor ?? '');
    if (!waitsForBudget) {
      const doing = view.result
        ? `it ended: ${view.result.status}`
        : view.waitingFor || view.waiting
          ? `it waits for ${describeWait(view)?.what ?? view.waitingFor}`
          : `phase ${phaseText(view)}`;
      throw new RefusedError(
        `${id}: the goal is not waiting for budget (${doing}); finish-now answers a goal that waits with onExhausted "ask"`,
      );
    }
    return h.executeUpdate(finishNowUpdate);
  });
  printText(`${id}: ${reply}\n`);
  return 0;
}
