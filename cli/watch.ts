/** `drydock watch`: a live view of a goal that refreshes until the goal ends. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import type { GoalStatusView } from '../workflows/types';
import { formatUsd, usageBreakdown } from '../activities/shared/usage-text';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UsageError } from './errors';
import { printJsonLine, printText, stdoutIsTerminal } from './output';
import { queryWithWorker } from './pollers';
import { describeCurrentCall, describeWait, phaseText } from './waiting';

/** Renders one frame of the watch view. */
export function renderWatch(v: GoalStatusView, now: number): string {
  const bar = (fraction: number, width = 30) => {
    const f = Math.max(0, Math.min(1, fraction));
    return `[${'█'.repeat(Math.round(f * width))}${'·'.repeat(width - Math.round(f * width))}] ${(f * 100).toFixed(0)}%`;
  };
  const l = v.limits;
  const wait = describeWait(v, now);
  const call = describeCurrentCall(v, now);
  const lines = [
    `${v.workflowId} — ${v.goal.split('\n')[0]?.slice(0, 80) ?? ''}`,
    `phase      ${phaseText(v)}`,
    ...(wait
      ? [
          `waiting    ⏸ ${wait.what}`,
          ...[wait.since, wait.until].filter((t): t is string => Boolean(t)).map((t) => `           ${t}`),
          ...wait.commands.map((c) => `           → ${c}`),
        ]
      : []),
    ...(call ? [`running    ${call}`] : []),
    `turns      ${bar(v.iteration / l.maxIterations)} ${v.iteration}/${l.maxIterations}`,
    `tokens     ${bar(v.usage.totalTokens / l.maxTotalTokens)} ${v.usage.totalTokens}/${l.maxTotalTokens}`,
    ...(l.maxCostUsd !== undefined
      ? [`cost       ${bar((v.costUsd ?? 0) / l.maxCostUsd)} ${formatUsd(v.costUsd ?? 0)}/$${l.maxCostUsd}`]
      : [`cost       ${formatUsd(v.costUsd)}`]),
    `usage      ${usageBreakdown(v.usage)}${v.model ? `  model ${v.model}` : ''}`,
    ...(v.result ? [] : [`deadline   ${Math.max(0, Math.round((l.deadlineAt - now) / 1000))} s left`]),
    `last tool  ${v.lastTool ? `${v.lastTool.name} ${v.lastTool.argumentsPreview.slice(0, 60)} → ${v.lastTool.summary.slice(0, 80)}` : '—'}`,
    `checks     ${v.checks.state}${v.checks.results.map((c) => `  ${c.command} → ${c.exitCode}`).join('')}`,
  ];
  if (v.plan)
    lines.push(
      'plan:',
      ...v.plan
        .split('\n')
        .slice(0, 15)
        .map((p) => `  ${p}`),
    );
  if (v.result)
    lines.push(
      `result     ${v.result.status}${v.result.reason ? `: ${v.result.reason}` : ''}${v.result.pr ? `  PR ${v.result.pr.branch} (${v.result.pr.location})` : ''}`,
    );
  return lines.join('\n');
}

/** Refreshes the view every interval until the goal closes; --json prints one status object per line. */
export async function watch(
  config: ClientConfig,
  id: string | undefined,
  o: { json?: boolean; intervalMs?: number },
): Promise<number> {
  if (id === undefined) throw new UsageError('give the goal id: drydock watch <id> [--json]');
  if (id.trim() === '') throw new UsageError('the goal id is empty; give the workflow id `drydock start` printed');
  const { client, close } = await connectClient(config);
  const tty = stdoutIsTerminal() && !o.json;
  try {
    const handle = client.workflow.getHandle(id);
    let frame = 0;
    for (;;) {
      let description;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          throw new UsageError(`no goal with id ${id} in namespace ${config.namespace}`);
        throw err;
      }
      const running = description.status.name === 'RUNNING';
      let view: GoalStatusView | undefined;
      try {
        // Pollers are asked for once; later frames rely on the query's deadline (a worker that stops is still named).
        view = await queryWithWorker(client, config.namespace, () => handle.query(statusQuery), {
          checkPollers: frame === 0,
        });
        frame++;
      } catch (err) {
        if (running) throw err;
      }
      if (o.json) printJsonLine({ executionStatus: description.status.name, ...view });
      else if (view) {
        // The only escape drydock itself prints: clear the screen before a frame.
        process.stdout.write(tty ? '\x1b[2J\x1b[H' : '\n');
        printText(`${renderWatch(view, Date.now())}\n`);
      }
      if (!running) {
        if (!o.json) printText(`goal ${description.status.name.toLowerCase()}\n`);
        return view?.result?.status === 'succeeded' ? 0 : 1;
      }
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
    }
  } finally {
    await close();
  }
}
