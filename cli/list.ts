/** `drydock list`: goals found through drydock's search attributes, newest first. */
import type { Client } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import type { GoalStatusView } from '../workflows/types';
import { formatUsd } from '../activities/shared/usage-text';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UsageError } from './errors';
import { printJson, printText, renderTable, stdoutIsTerminal } from './output';
import { queryWithWorker } from './pollers';
import { shortClock } from './time-text';
import { describeWait, type WaitText } from './waiting';

/** Filters of `drydock list`. */
export interface ListOptions {
  repo?: string;
  /** A GoalStatus (succeeded, failed, budget_exhausted, cancelled) or `running`. */
  status?: string;
  limit?: number;
  json?: boolean;
}

/** The statuses `--status` takes. */
export const LIST_STATUSES = ['running', 'succeeded', 'failed', 'budget_exhausted', 'cancelled'] as const;

/** Running goals whose status `list` asks for, to say what they wait for. */
const WAIT_LOOKUPS = 20;

/** The visibility query for the filters. */
export function listQuery(o: ListOptions): string {
  const clauses = ["WorkflowType = 'codingAgent'"];
  if (o.repo) clauses.push(`DrydockRepository = '${quote(o.repo)}'`);
  if (o.status === 'running') clauses.push("ExecutionStatus = 'Running'");
  else if (o.status === 'cancelled') clauses.push("ExecutionStatus = 'Canceled'");
  else if (o.status) clauses.push(`DrydockOutcome = '${quote(o.status)}'`);
  return clauses.join(' AND ');
}

/** One goal as `list` shows it. */
interface ListRow {
  workflowId: string;
  executionStatus: string;
  outcome?: string;
  phase?: string;
  tokens?: number;
  costUsd?: number;
  repository?: string;
  goal?: string;
  startTime: string;
  waiting?: WaitText;
}

/** Prints the goals: an aligned table with a start time on a terminal, tab-separated when piped. */
export async function list(config: ClientConfig, o: ListOptions): Promise<number> {
  if (o.status && !(LIST_STATUSES as readonly string[]).includes(o.status))
    throw new UsageError(`--status must be one of ${LIST_STATUSES.join(', ')}, got ${JSON.stringify(o.status)}`);
  const { client, close } = await connectClient(config);
  try {
    const rows: ListRow[] = [];
    for await (const wf of client.workflow.list({ query: listQuery(o), pageSize: 100 })) {
      if (rows.length >= (o.limit ?? 50)) break;
      const sa = wf.typedSearchAttributes;
      const get = (name: string) => sa.getAll().find((p) => p.key.name === name)?.value;
      rows.push({
        workflowId: wf.workflowId,
        executionStatus: wf.status.name,
        outcome: get('DrydockOutcome') as string | undefined,
        phase: get('DrydockPhase') as string | undefined,
        tokens: get('DrydockTokens') as number | undefined,
        costUsd: get('DrydockCostUsd') as number | undefined,
        repository: get('DrydockRepository') as string | undefined,
        goal: typeof wf.memo?.goal === 'string' ? wf.memo.goal.split('\n')[0]?.slice(0, 80) : undefined,
        startTime: wf.startTime.toISOString(),
      });
    }
    await addWaits(client, config.namespace, rows);
    if (o.json) {
      printJson(rows);
      return 0;
    }
    if (rows.length === 0) {
      printText('no goals match\n');
      return 0;
    }
    const terminal = stdoutIsTerminal();
    const table = rows.map((r) => [
      r.workflowId,
      statusText(r),
      shortClock(Date.parse(r.startTime)),
      String(r.tokens ?? 0),
      r.costUsd === undefined ? '—' : formatUsd(r.costUsd),
      r.repository ?? '',
      r.goal ?? '',
    ]);
    printText(renderTable(['ID', 'STATUS', 'STARTED', 'TOKENS', 'COST', 'REPOSITORY', 'GOAL'], table, terminal));
    // What the waiting goals wait for, and the command that answers each.
    const waiting = rows.filter((r) => r.waiting);
    if (waiting.length > 0 && terminal) printText('\n');
    for (const r of waiting) {
      const w = r.waiting as WaitText;
      const when = [w.since, w.until].filter(Boolean).join(', ');
      printText(`${r.workflowId} waits for ${w.what}${when ? ` (${when})` : ''}\n`);
      for (const c of w.commands) printText(`  → ${c}\n`);
    }
    return 0;
  } finally {
    await close();
  }
}

/** `running (working)`, `waiting (publish approval)`, or the outcome. */
function statusText(r: ListRow): string {
  if (r.executionStatus !== 'RUNNING') return r.outcome ?? r.executionStatus.toLowerCase().replace(/_/g, ' ');
  if (r.waiting) return `waiting (${r.waiting.what.split(':')[0]})`;
  return `running (${(r.phase ?? '?').replace(/_/g, ' ')})`;
}

/** Asks the running goals (the first WAIT_LOOKUPS) what they wait for; a goal that does not answer is left as it is. */
async function addWaits(client: Client, namespace: string, rows: ListRow[]): Promise<void> {
  const running = rows.filter((r) => r.executionStatus === 'RUNNING').slice(0, WAIT_LOOKUPS);
  if (running.length === 0) return;
  await Promise.all(
    running.map(async (r) => {
      try {
        const view: GoalStatusView = await queryWithWorker(client, namespace, () =>
          client.workflow.getHandle(r.workflowId).query(statusQuery),
        );
        r.waiting = describeWait(view);
        if (view.costUsd !== undefined) r.costUsd = view.costUsd;
      } catch {
        // No worker, or the goal closed meanwhile: the search attributes say enough.
      }
    }),
  );
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
