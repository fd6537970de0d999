/** `drydock list`: goals found through drydock's search attributes, newest first. */
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UsageError } from './errors';
import { printJson, printText } from './output';

/** Filters of `drydock list`. */
export interface ListOptions {
  repo?: string;
  /** A GoalStatus (succeeded, failed, budget_exhausted, cancelled) or `running`. */
  status?: string;
  limit?: number;
  json?: boolean;
}

const STATUSES = ['running', 'succeeded', 'failed', 'budget_exhausted', 'cancelled'];

/** The visibility query for the filters. */
export function listQuery(o: ListOptions): string {
  const clauses = ["WorkflowType = 'codingAgent'"];
  if (o.repo) clauses.push(`DrydockRepository = '${quote(o.repo)}'`);
  if (o.status === 'running') clauses.push("ExecutionStatus = 'Running'");
  else if (o.status === 'cancelled') clauses.push("ExecutionStatus = 'Canceled'");
  else if (o.status) clauses.push(`DrydockOutcome = '${quote(o.status)}'`);
  return clauses.join(' AND ');
}

/** Prints one line per goal: id, status, phase, tokens, repository. */
export async function list(config: ClientConfig, o: ListOptions): Promise<number> {
  if (o.status && !STATUSES.includes(o.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  const { client, close } = await connectClient(config);
  try {
    const rows = [];
    for await (const wf of client.workflow.list({ query: listQuery(o), pageSize: 100 })) {
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
      if (rows.length >= (o.limit ?? 50)) break;
    }
    if (o.json) {
      printJson(rows);
      return 0;
    }
    if (rows.length === 0) printText('no goals match\n');
    for (const r of rows) {
      const status =
        r.executionStatus === 'RUNNING'
          ? `running (${r.phase ?? '?'})`
          : (r.outcome ?? r.executionStatus.toLowerCase());
      printText(`${r.workflowId}  ${status}  ${r.tokens ?? 0} tokens  ${r.repository ?? ''}  ${r.goal ?? ''}\n`);
    }
    return 0;
  } finally {
    await close();
  }
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
