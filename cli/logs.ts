/**
 * `drydock logs <id> [-f]`: what a goal did, in order — the setup log, each
 * model turn as one line, each tool call with its output, the check logs —
 * read on the agent worker through the goalArtifacts workflow. `-f` follows a
 * live goal until it ends.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { GoalArtifactsAnswer, GoalLogEntry } from '../workflows/goal-artifacts';
import { readOnAgent } from './agent-read';
import type { ClientConfig } from './config';
import { withGoal } from './goals';
import { printJsonLine, printText } from './output';

/** Options of `drydock logs`. */
export interface LogsOptions {
  follow?: boolean;
  /** One JSON object per entry. */
  json?: boolean;
  /** Milliseconds between reads while following (default 1000). */
  intervalMs?: number;
}

/** Prints a goal's log; with follow, keeps printing until the goal ends. */
export async function logs(config: ClientConfig, id: string | undefined, o: LogsOptions): Promise<number> {
  return withGoal(config, id, async (handle, client) => {
    let next = 0;
    for (;;) {
      // Whether it ran before this read: a goal that ended is read to its end once more.
      const ended = o.follow ? (await handle.describe()).status.name !== 'RUNNING' : true;
      next = await printFrom(client, config, handle, next, o);
      if (!o.follow || ended) {
        if (o.follow && !o.json) printText(`── goal ${await closedState(handle)}\n`);
        return 0;
      }
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
    }
  });
}

/** Prints the entries from `after` on (every page); returns where the next read starts. */
async function printFrom(
  client: Client,
  config: ClientConfig,
  handle: WorkflowHandle,
  after: number,
  o: LogsOptions,
): Promise<number> {
  for (;;) {
    const answer = await readOnAgent<GoalArtifactsAnswer>(
      client,
      config,
      'goalArtifacts',
      [{ action: 'logs', goalId: handle.workflowId, after }],
      "a goal's diff and log",
    );
    if (answer.action !== 'logs') throw new Error(`the agent worker answered ${answer.action} for a log`);
    for (const e of answer.entries) {
      if (o.json) printJsonLine(e);
      else printText(renderLogEntry(e));
    }
    after = answer.next;
    if (!answer.more) return after;
  }
}

/** One entry as printed: a model turn on one line, a tool call as `$ name args` and its output indented, a log under a rule. */
export function renderLogEntry(e: GoalLogEntry): string {
  const body = (text: string | undefined) =>
    text && text.trim() ? `${text.replace(/\n+$/, '').replace(/^/gm, '  ')}\n` : '';
  switch (e.kind) {
    case 'prompt':
    case 'model':
      return `▸ ${e.title}\n`;
    case 'tool':
      return `$ ${e.title}\n${body(e.text)}`;
    default:
      return `── ${e.title}\n${body(e.text)}`;
  }
}

async function closedState(handle: WorkflowHandle): Promise<string> {
  return (await handle.describe()).status.name.toLowerCase().replace(/_/g, ' ');
}
