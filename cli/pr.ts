/**
 * `drydock pr list` and `drydock pr show <id>`: the local code host's PR
 * records, read on the agent worker through the pullRequests workflow, so
 * they answer on any machine that reaches Temporal.
 */
import { randomUUID } from 'crypto';
import { TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../workflows/queues';
import type { PullRequestsAnswer, PullRequestsRequest } from '../workflows/pull-requests';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UnreachableError, UsageError } from './errors';
import { printJson, printText, stdoutIsTerminal } from './output';
import { readDiff } from './diff';
import { renderDiff, wantsColour } from './diff-text';

/** How long a PR read may take before the CLI says no agent worker answers. */
export const PULL_REQUESTS_TIMEOUT_SECONDS = 10;

/** Lists PR records, newest first. */
export async function prList(config: ClientConfig, json: boolean): Promise<number> {
  const answer = await readPullRequests(config, { action: 'list' });
  if (answer.action !== 'list') throw new Error(`the agent worker answered a ${answer.action} for a list`);
  const { records, directory } = answer;
  if (json) {
    printJson(records);
    return 0;
  }
  if (records.length === 0) printText(`no pull requests yet (${directory})\n`);
  for (const r of records) {
    const passed = r.checks.every((c) => c.passed) ? 'checks passed' : 'checks failing';
    printText(`${r.id}  ${r.head} → ${r.base}  ${r.title}  (${r.files.length} files, ${passed}, ${r.updatedAt})\n`);
  }
  return 0;
}

/** Prints one PR record (by PR id, head branch or goal id): its Markdown, or its JSON; with `diff`, the change after it. */
export async function prShow(
  config: ClientConfig,
  id: string | undefined,
  json: boolean,
  diff = false,
): Promise<number> {
  if (!id?.trim()) throw new UsageError('give the PR id (see `drydock pr list`)');
  const answer = await readPullRequests(config, { action: 'show', id });
  const r = answer.action === 'show' ? answer.record : undefined;
  if (!r) throw new UsageError(`no pull request ${id} (see \`drydock pr list\`)`);
  const patch = diff ? await publishedPatch(config, r.goalId) : undefined;
  if (json) printJson(diff ? { ...r, diff: patch ?? null } : r);
  else {
    printText(
      `# ${r.title}\n\n${r.head} → ${r.base} · ${r.repository} · commit ${r.commit.slice(0, 12)}\n\n${r.body}\n`,
    );
    if (diff) {
      const terminal = stdoutIsTerminal();
      printText('\n## Diff\n\n');
      if (patch) process.stdout.write(`${renderDiff(patch, terminal, wantsColour(terminal)).replace(/\n?$/, '\n')}`);
      else printText(`(the change of goal ${r.goalId} is no longer in the artifact store)\n`);
    }
  }
  return 0;
}

/** The change a goal published, read on the agent worker (undefined when the store no longer holds it). */
async function publishedPatch(config: ClientConfig, goalId: string): Promise<string | undefined> {
  const { client, close } = await connectClient(config);
  try {
    return (await readDiff(client, config, goalId, 'change')).patch;
  } finally {
    await close();
  }
}

/** Runs the pullRequests workflow on the agent queue; a clear error when no agent worker answers in time. */
async function readPullRequests(config: ClientConfig, request: PullRequestsRequest): Promise<PullRequestsAnswer> {
  const { client, close } = await connectClient(config);
  try {
    return await client.workflow.execute('pullRequests', {
      taskQueue: AGENT_QUEUE,
      workflowId: `drydock-pr-${request.action}-${randomUUID().slice(0, 8)}`,
      args: [request],
      workflowExecutionTimeout: `${PULL_REQUESTS_TIMEOUT_SECONDS}s`,
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
      throw new UnreachableError(
        `no agent worker answered on ${AGENT_QUEUE} within ${PULL_REQUESTS_TIMEOUT_SECONDS} s (namespace ${config.namespace}); PR records are read on the agent worker: start it with \`npm run worker\``,
      );
    }
    if (err instanceof WorkflowFailedError) throw new Error(`reading PR records failed: ${innermostMessage(err)}`);
    throw err;
  } finally {
    await close();
  }
}

/** The message of the deepest cause of a failure (the activity's own error). */
function innermostMessage(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}
