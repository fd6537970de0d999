/**
 * `drydock cost`: tokens (prompt, cached, completion, reasoning) and dollars
 * of the goals drydock's search attributes find, grouped by goal, repository,
 * model or day, with totals. Totals come from the DrydockTokens and
 * DrydockCostUsd search attributes (every goal has them, however it ended);
 * the breakdown comes from each goal's result (or, while it runs, its status).
 */
import * as path from 'path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import { isGitUrl } from '../workflows/policy';
import type { GoalResult, GoalStatusView, Usage } from '../workflows/types';
import { exactUsd, formatUsd } from '../activities/shared/usage-text';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UsageError } from './errors';
import { printJson, printText } from './output';
import { readGoalResult } from './goal-result';

/** How `drydock cost` groups its rows. */
export type CostGrouping = 'goal' | 'repo' | 'model' | 'day';

const GROUPINGS: CostGrouping[] = ['goal', 'repo', 'model', 'day'];

/** Options of `drydock cost`. */
export interface CostOptions {
  repo?: string;
  /** `7d`, `12h`, `30m`, `2w`, or an ISO date. */
  since?: string;
  by?: string;
  json?: boolean;
}

/** One goal's figures. */
export interface GoalCost {
  workflowId: string;
  repository: string;
  model: string;
  day: string;
  status: string;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: number;
  /** False when the goal's breakdown is unknown (it failed without a result): its totals are still counted. */
  breakdown: boolean;
}

/** One row of the report: a group's sums. */
export interface CostRow {
  key: string;
  goals: number;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: number;
}

/** The time `--since` names, or undefined; a UsageError for what it cannot read. */
export function parseSince(since: string | undefined, now: number): Date | undefined {
  if (since === undefined) return undefined;
  const relative = /^(\d+)([mhdw])$/.exec(since.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[relative[2] as 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(relative[1]) * unit);
  }
  const date = new Date(since);
  if (/^\d{4}-\d{2}-\d{2}/.test(since) && !Number.isNaN(date.getTime())) return date;
  throw new UsageError(
    `--since must be a duration such as 7d, 12h, 30m or 2w, or an ISO date; got ${JSON.stringify(since)}`,
  );
}

/** The visibility query for the filters. */
export function costQuery(repo: string | undefined, since: Date | undefined): string {
  const clauses = ["WorkflowType = 'codingAgent'"];
  if (repo) clauses.push(`DrydockRepository = '${quote(repo)}'`);
  if (since) clauses.push(`StartTime >= '${since.toISOString()}'`);
  return clauses.join(' AND ');
}

/** Groups goals' figures into rows (sorted by cost, then key) and their total. */
export function groupCosts(goals: GoalCost[], by: CostGrouping): { rows: CostRow[]; total: CostRow } {
  const keyOf = (g: GoalCost) => ({ goal: g.workflowId, repo: g.repository, model: g.model, day: g.day })[by];
  const rows = new Map<string, CostRow>();
  const total = emptyRow('total');
  for (const g of goals) {
    const key = keyOf(g);
    const row = rows.get(key) ?? emptyRow(key);
    rows.set(key, row);
    for (const r of [row, total]) {
      r.goals++;
      r.promptTokens += g.promptTokens;
      r.cachedPromptTokens += g.cachedPromptTokens;
      r.completionTokens += g.completionTokens;
      r.reasoningTokens += g.reasoningTokens;
      r.totalTokens += g.totalTokens;
      r.costUsd += g.costUsd;
    }
  }
  const sorted = [...rows.values()].sort((a, b) =>
    by === 'day' ? a.key.localeCompare(b.key) : b.costUsd - a.costUsd || a.key.localeCompare(b.key),
  );
  return { rows: sorted, total };
}

/** Renders the report as a table. */
export function renderCostTable(by: CostGrouping, rows: CostRow[], total: CostRow): string {
  const header = [by, 'goals', 'prompt', 'cached', 'completion', 'reasoning', 'tokens', 'cost'];
  const cells = (r: CostRow) => [
    r.key,
    String(r.goals),
    String(r.promptTokens),
    String(r.cachedPromptTokens),
    String(r.completionTokens),
    String(r.reasoningTokens),
    String(r.totalTokens),
    formatUsd(r.costUsd),
  ];
  const table = [header, ...rows.map(cells), cells(total)];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map((r) => line(cells(r))), line(cells(total))].join('\n');
}

/** Prints the cost report; returns the exit code. */
export async function cost(config: ClientConfig, o: CostOptions): Promise<number> {
  const by = (o.by ?? 'goal') as CostGrouping;
  if (!GROUPINGS.includes(by)) throw new UsageError(`--by must be one of ${GROUPINGS.join(', ')}`);
  const since = parseSince(o.since, Date.now());
  const repo = o.repo && !isGitUrl(o.repo) && !path.isAbsolute(o.repo) ? path.resolve(o.repo) : o.repo;
  const { client, close } = await connectClient(config);
  try {
    const goals = await goalCosts(client, costQuery(repo, since));
    const { rows, total } = groupCosts(goals, by);
    if (o.json) {
      printJson({
        by,
        since: since?.toISOString(),
        repo,
        rows: rows.map((r) => ({ ...r, costUsd: Number(exactUsd(r.costUsd)) })),
        total: { ...total, costUsd: Number(exactUsd(total.costUsd)) },
        goals,
      });
      return 0;
    }
    if (goals.length === 0) {
      printText('no goals match\n');
      return 0;
    }
    printText(`${renderCostTable(by, rows, total)}\n`);
    const partial = goals.filter((g) => !g.breakdown).length;
    if (partial > 0)
      printText(
        `(${partial} goal${partial === 1 ? '' : 's'} ended without a result: tokens and dollars counted, no prompt/completion split)\n`,
      );
    return 0;
  } finally {
    await close();
  }
}

/** Every matching goal's figures: the newest run of each workflow id. */
async function goalCosts(client: Client, query: string): Promise<GoalCost[]> {
  const newest = new Map<string, WorkflowExecutionInfo>();
  for await (const wf of client.workflow.list({ query, pageSize: 100 })) {
    const seen = newest.get(wf.workflowId);
    // A goal that continued as new has one execution per run; the newest carries the whole goal's figures.
    if (!seen || wf.startTime > seen.startTime) newest.set(wf.workflowId, wf);
  }
  const goals: GoalCost[] = [];
  for (const wf of newest.values()) goals.push(await goalCost(client, wf));
  return goals.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/** One goal's figures: the search attributes' totals, the result's (or status') breakdown. */
async function goalCost(client: Client, wf: WorkflowExecutionInfo): Promise<GoalCost> {
  const attribute = (name: string) => wf.typedSearchAttributes.getAll().find((p) => p.key.name === name)?.value;
  const tokens = (attribute('DrydockTokens') as number | undefined) ?? 0;
  const dollars = (attribute('DrydockCostUsd') as number | undefined) ?? 0;
  const detail = await goalDetail(client, wf);
  const usage: Usage | undefined = detail?.usage;
  return {
    workflowId: wf.workflowId,
    repository: (attribute('DrydockRepository') as string | undefined) ?? '(unknown)',
    model: detail?.model ?? '(not recorded)',
    day: wf.startTime.toISOString().slice(0, 10),
    status: (attribute('DrydockOutcome') as string | undefined) ?? wf.status.name.toLowerCase(),
    promptTokens: usage?.promptTokens ?? 0,
    cachedPromptTokens: usage?.cachedPromptTokens ?? 0,
    completionTokens: usage?.completionTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    totalTokens: usage?.totalTokens ?? tokens,
    costUsd: detail?.costUsd ?? dollars,
    breakdown: usage !== undefined,
  };
}

/** The result of a completed goal, the status of a running one (if a worker answers soon); else undefined. */
async function goalDetail(
  client: Client,
  wf: WorkflowExecutionInfo,
): Promise<Pick<GoalResult | GoalStatusView, 'usage' | 'costUsd' | 'model'> | undefined> {
  const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
  try {
    if (wf.status.name === 'COMPLETED' || wf.status.name === 'FAILED') return await readGoalResult(handle);
    if (wf.status.name === 'RUNNING') {
      return await Promise.race([
        handle.query(statusQuery),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3000).unref()),
      ]);
    }
  } catch {
    // No result to read (the goal failed or was cancelled): the search attributes' totals stand.
  }
  return undefined;
}

function emptyRow(key: string): CostRow {
  return {
    key,
    goals: 0,
    promptTokens: 0,
    cachedPromptTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    totalTokens: 0,
    costUsd: 0,
  };
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
