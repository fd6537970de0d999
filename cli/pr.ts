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
import { UsageError } from './errors';
import { printJson, printText } from './output';

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

/** Prints one PR record (by PR id, head branch or goal id): its Markdown, or its JSON. */
export async function prShow(config: ClientConfig, id: string | undefined, json: boolean): Promise<number> {
  if (!id) throw new UsageError('give the PR id (see `drydock pr list`)');
  const answer = await readPullRequests(config, { action: 'show', id });
  const r = answer.action === 'show' ? answer.record : undefined;
  if (!r) throw new UsageError(`no pull request ${id} (see \`drydock pr list\`)`);
  if (json) printJson(r);
  else
    printText(
      `# ${r.title}\n\n${r.head} → ${r.base} · ${r.repository} · commit ${r.commit.slice(0, 12)}\n\n${r.body}\n`,
    );
  return 0;
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
      throw new Error(
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
