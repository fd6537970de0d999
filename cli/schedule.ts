/** `drydock schedule …`: Temporal Schedules that start the maintenance workflow. */
import { existsSync } from 'fs';
import * as path from 'path';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleHandle,
} from '@temporalio/client';
import { isGitUrl, validateGoalInput } from '../workflows/policy';
import { AGENT_QUEUE } from '../workflows/queues';
import type { MaintenanceInput } from '../workflows/maintenance';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UsageError } from './errors';
import { goalStartMetadata } from '../workflows/goal-view';
import { printJson, printText, renderTable } from './output';
import { policyFrom, type PolicyFlags } from './commands/policy-flags';
import { shortClock } from './time-text';

/** Options of the schedule commands, as parsed from the command line. */
export interface ScheduleOptions {
  id?: string;
  cron?: string;
  repo?: string[];
  goal?: string;
  check?: string[];
  maxConcurrent?: number;
  /** The policy flags (--model, --max-tokens, --require-publish-approval, …) each goal runs under. */
  policy?: PolicyFlags;
  from?: string;
  to?: string;
  note?: string;
  paused?: boolean;
  json?: boolean;
}

/** True for a five-field cron expression (or a @hourly-style macro). */
export function isCron(expression: string): boolean {
  return (
    /^@(yearly|annually|monthly|weekly|daily|hourly)$/.test(expression) || /^(\S+\s+){4}\S+$/.test(expression.trim())
  );
}

/** The maintenance input a schedule carries, validated like a goal. */
export function maintenanceInputFrom(o: ScheduleOptions): MaintenanceInput {
  const repositories = (o.repo ?? []).map((r) => (isGitUrl(r) ? r : path.resolve(r)));
  if (repositories.length === 0) throw new UsageError('give at least one --repo');
  for (const r of repositories)
    if (!isGitUrl(r) && !existsSync(r)) throw new UsageError(`--repo: no such directory ${r}`);
  const maxConcurrent = o.maxConcurrent ?? 2;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > 100)
    throw new UsageError(`--max-concurrent must be a whole number from 1 to 100, got ${maxConcurrent}`);
  const policy = policyFrom(o.policy ?? {});
  const input: MaintenanceInput = {
    repositories,
    goal: o.goal ?? '',
    maxConcurrent,
    ...(o.check?.length ? { checks: o.check } : {}),
    ...(o.policy?.model ? { model: { name: o.policy.model } } : {}),
    ...(Object.keys(policy).length > 0 ? { policy } : {}),
  };
  const problems = repositories.flatMap((repository) =>
    validateGoalInput({ ...input, repositories: undefined, maxConcurrent: undefined, repository }),
  );
  if (problems.length > 0) throw new UsageError([...new Set(problems)].join('; '));
  return input;
}

/** What drydock's own schedules carry in their memo. */
function scheduleMemo(memo: Record<string, unknown> | undefined): {
  cron?: string;
  goal?: string;
  repositories?: string[];
} {
  return {
    cron: typeof memo?.cron === 'string' ? memo.cron : undefined,
    goal: typeof memo?.goal === 'string' ? memo.goal : undefined,
    repositories: Array.isArray(memo?.repositories) ? memo.repositories.map(String) : undefined,
  };
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/** The schedule's action counts once they have moved past `from` and then held still for a second (at most 10 s). */
async function settledCounts(
  handle: ScheduleHandle,
  from: number,
): Promise<{ numActionsTaken: number; numActionsSkippedOverlap: number }> {
  let last = (await handle.describe()).info;
  let stillSince = Date.now();
  for (const t0 = Date.now(); Date.now() - t0 < 10_000;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = (await handle.describe()).info;
    const total = now.numActionsTaken + now.numActionsSkippedOverlap;
    if (total !== last.numActionsTaken + last.numActionsSkippedOverlap) stillSince = Date.now();
    last = now;
    if (Date.now() - stillSince >= (total > from ? 1000 : 3000)) break;
  }
  return last;
}

/** Runs one `drydock schedule <action>`. */
export async function schedule(
  config: ClientConfig,
  action: string | undefined,
  id: string | undefined,
  o: ScheduleOptions,
): Promise<number> {
  const { client, close } = await connectClient(config);
  const need = (what: string) => {
    if (!id?.trim()) throw new UsageError(`give the schedule id: drydock schedule ${what} <schedule id>`);
    return client.schedule.getHandle(id);
  };
  try {
    switch (action) {
      case 'create': {
        if (!o.cron || !isCron(o.cron))
          throw new UsageError('--cron must be a cron expression such as "0 3 * * 1" (minute hour day month weekday)');
        const input = maintenanceInputFrom(o);
        const scheduleId =
          o.id ??
          `drydock-${
            input.goal
              .toLowerCase()
              .replace(/[^a-z0-9]+/g, '-')
              .replace(/^-|-$/g, '')
              .slice(0, 40) || 'maintenance'
          }`;
        try {
          await client.schedule.create({
            scheduleId,
            spec: { cronExpressions: [o.cron] },
            action: {
              type: 'startWorkflow',
              workflowType: 'maintenance',
              taskQueue: AGENT_QUEUE,
              workflowId: `maintenance-${scheduleId}`,
              args: [input],
              memo: { goal: input.goal.slice(0, 4000) },
              // The campaign's own summary and details in the Temporal UI; its children get theirs from maintenance.
              ...goalStartMetadata({ ...input, repository: input.repositories.join(', ') }),
            },
            policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
            // What `schedule list` shows (a schedule's description keeps no cron text, its list no arguments).
            memo: { cron: o.cron, goal: input.goal.slice(0, 4000), repositories: input.repositories },
            state: { paused: o.paused ?? false, note: o.note },
          });
        } catch (err) {
          if (err instanceof ScheduleAlreadyRunning)
            throw new UsageError(`a schedule ${scheduleId} exists already; delete it first or pick another --id`);
          throw err;
        }
        if (o.json) printJson({ scheduleId, cron: o.cron, repositories: input.repositories });
        else
          printText(
            `created schedule ${scheduleId}: "${o.cron}" over ${input.repositories.length} repositories (overlap: skip)\n`,
          );
        return 0;
      }
      case 'list': {
        const rows = [];
        for await (const s of client.schedule.list()) {
          const memo = scheduleMemo(s.memo);
          rows.push({
            scheduleId: s.scheduleId,
            paused: s.state.paused,
            note: s.state.note,
            cron: memo.cron,
            goal: memo.goal,
            repositories: memo.repositories,
            next: s.info.nextActionTimes[0]?.toISOString(),
            recent: s.info.recentActions.length,
          });
        }
        if (o.json) printJson(rows);
        else if (rows.length === 0) printText('no schedules\n');
        else
          printText(
            renderTable(
              ['ID', 'STATE', 'CRON', 'NEXT', 'REPOSITORIES', 'GOAL'],
              rows.map((r) => [
                r.scheduleId,
                r.paused ? 'paused' : 'active',
                r.cron ?? '—',
                r.next ? shortClock(Date.parse(r.next)) : '—',
                r.repositories ? String(r.repositories.length) : '—',
                firstLine(r.goal ?? '—'),
              ]),
            ),
          );
        return 0;
      }
      case 'show': {
        const d = await need('show').describe();
        const memo = scheduleMemo(d.memo);
        const args =
          d.action.type === 'startWorkflow' ? (d.action.args?.[0] as Partial<MaintenanceInput> | undefined) : undefined;
        const view = {
          scheduleId: d.scheduleId,
          paused: d.state.paused,
          note: d.state.note,
          cron:
            memo.cron ?? (d.spec.calendars?.length ? 'a calendar (not made by drydock schedule create)' : undefined),
          goal: args?.goal ?? memo.goal,
          repositories: args?.repositories ?? memo.repositories ?? [],
          policy: args?.policy,
          next: d.info.nextActionTimes.map((t) => t.toISOString()),
          recentActions: d.info.recentActions.map((a) => ({
            at: a.takenAt.toISOString(),
            workflowId: a.action.workflow.workflowId,
          })),
          running: d.info.runningActions.map((a) => a.workflow.workflowId),
        };
        if (o.json) printJson(view);
        else
          printText(
            `${view.scheduleId}  ${view.paused ? 'paused' : 'active'}${view.note ? ` (${view.note})` : ''}\ncron: ${view.cron ?? '—'}\ngoal: ${view.goal ?? '—'}\nrepositories:${view.repositories.map((r) => `\n  ${r}`).join('') || ' —'}\n${view.policy ? `policy: ${JSON.stringify(view.policy)}\n` : ''}next: ${view.next.slice(0, 3).join(', ') || '—'}\nrunning: ${view.running.join(', ') || '—'}\nrecent: ${view.recentActions.map((a) => `${a.at} ${a.workflowId}`).join('; ') || '—'}\n`,
          );
        return 0;
      }
      case 'pause':
        await need('pause').pause(o.note ?? 'paused with drydock');
        printText(`paused ${id}\n`);
        return 0;
      case 'unpause':
        await need('unpause').unpause(o.note ?? 'unpaused with drydock');
        printText(`unpaused ${id}\n`);
        return 0;
      case 'trigger':
        await need('trigger').trigger(ScheduleOverlapPolicy.SKIP);
        printText(`triggered ${id} (skipped if a run is in progress)\n`);
        return 0;
      case 'backfill': {
        const start = new Date(o.from ?? '');
        const end = new Date(o.to ?? '');
        if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start)
          throw new UsageError('backfill needs --from and --to as ISO times, --to after --from');
        const handle = need('backfill');
        const before = (await handle.describe()).info;
        await handle.backfill([{ start, end, overlap: ScheduleOverlapPolicy.SKIP }]);
        // The schedule takes the backfill's actions on its own time: count them once the counts stop moving.
        const after = await settledCounts(handle, before.numActionsTaken + before.numActionsSkippedOverlap);
        const made = after.numActionsTaken - before.numActionsTaken;
        const skipped = after.numActionsSkippedOverlap - before.numActionsSkippedOverlap;
        if (o.json)
          printJson({ scheduleId: id, from: start.toISOString(), to: end.toISOString(), runs: made, skipped });
        else
          printText(
            `backfill of ${id} from ${start.toISOString()} to ${end.toISOString()}: ${made} run${made === 1 ? '' : 's'} started${skipped > 0 ? `, ${skipped} skipped (overlap: skip — a run was still in progress)` : ''}\n`,
          );
        return 0;
      }
      case 'delete':
        await need('delete').delete();
        printText(`deleted ${id}\n`);
        return 0;
      default:
        throw new UsageError('usage: drydock schedule create|list|show|pause|unpause|trigger|backfill|delete …');
    }
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new UsageError(`no schedule ${id}`);
    throw err;
  } finally {
    await close();
  }
}
