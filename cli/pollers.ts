/**
 * Which workers poll a task queue (DescribeTaskQueue through the client's
 * workflowService): `doctor` reports them, and `status`/`watch` say at once
 * that no worker serves drydock-agent instead of waiting for a query that
 * nothing answers.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { AGENT_QUEUE } from '../workflows/queues';
import { UnreachableError } from './errors';

/** A worker polling a queue: its identity and when it last polled (epoch ms). */
export interface Poller {
  identity: string;
  lastAccessTime?: number;
}

/** The kind of task a queue serves. */
export type QueueKind = 'workflow' | 'activity';

/** Seconds a query waits for a worker before the CLI says none answers. */
export const QUERY_TIMEOUT_SECONDS = 5;

/** The pollers Temporal has seen on a queue recently (a worker stopped a minute ago may still be listed). */
export async function pollersOf(client: Client, namespace: string, queue: string, kind: QueueKind): Promise<Poller[]> {
  const answer = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType:
      kind === 'workflow'
        ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
        : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (answer.pollers ?? []).map((p) => ({
    identity: p.identity ?? '',
    lastAccessTime: p.lastAccessTime?.seconds != null ? Number(p.lastAccessTime.seconds) * 1000 : undefined,
  }));
}

/** The message for a queue nobody polls, with how to start a worker. */
export function noWorkerMessage(queue = AGENT_QUEUE): string {
  return `no worker is polling ${queue}; start one with \`npm run worker\``;
}

/** Options of queryWithWorker. */
export interface QueryWithWorkerOptions {
  /** false: skip asking Temporal for pollers first (a caller that already asked, e.g. watch after its first frame). */
  checkPollers?: boolean;
}

/**
 * Runs a query of a goal: refused at once when no worker polls drydock-agent, and given
 * QUERY_TIMEOUT_SECONDS otherwise (a worker that stopped a moment ago is still listed).
 */
export async function queryWithWorker<T>(
  client: Client,
  namespace: string,
  query: () => Promise<T>,
  o: QueryWithWorkerOptions = {},
): Promise<T> {
  if (o.checkPollers !== false) {
    const pollers = await pollersOf(client, namespace, AGENT_QUEUE, 'workflow');
    if (pollers.length === 0) throw new UnreachableError(noWorkerMessage());
  }
  const deadline = Date.now() + QUERY_TIMEOUT_SECONDS * 1000;
  try {
    return await client.withDeadline(deadline, query);
  } catch (err) {
    // The server's own word for it: "no poller seen for task queue recently, worker may be down".
    if (causeCode(err) === 9 && /no poller/i.test(causeMessages(err))) throw new UnreachableError(noWorkerMessage());
    // Cut at the deadline (DEADLINE_EXCEEDED, or CANCELLED when the client aborts the call).
    if (isDeadlineExceeded(err) || Date.now() >= deadline - 50)
      throw new UnreachableError(
        `no worker answered on ${AGENT_QUEUE} within ${QUERY_TIMEOUT_SECONDS} s; start one with \`npm run worker\``,
      );
    throw err;
  }
}

/** The gRPC code of an error or its first cause that has one. */
function causeCode(err: unknown): number | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The messages of an error and its causes, joined. */
function causeMessages(err: unknown): string {
  const out: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) out.push(e.message);
  return out.join(' | ');
}

/** Whether an error (or one of its causes) is gRPC's DEADLINE_EXCEEDED. */
function isDeadlineExceeded(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 4 || /deadline exceeded/i.test(e.message)) return true;
  }
  return false;
}
