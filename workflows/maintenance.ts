/**
 * maintenance: one goal over many repositories, as codingAgent children under
 * a concurrency cap; what a Schedule starts for a recurring refactor. Reports
 * one line per repository: its PR, or why it has none.
 */
import { ChildWorkflowFailure, executeChild, ParentClosePolicy, workflowInfo } from '@temporalio/workflow';
import type { codingAgent } from './coding-agent';
import { failure } from './failures';
import { goalResultOfFailure } from './goal-outcome';
import { goalStartMetadata } from './goal-view';
import { validateGoalInput } from './policy';
import { AGENT_QUEUE } from './queues';
import type { GoalInput, GoalResult, GoalStatus } from './types';

/** Input of maintenance: the goal, and the repositories it applies to. */
export interface MaintenanceInput extends Omit<GoalInput, 'repository'> {
  repositories: string[];
  /** Goals run at once at most (default 2). */
  maxConcurrent?: number;
}

/** One repository's outcome. */
export interface MaintenanceLine {
  repository: string;
  workflowId: string;
  status: GoalStatus | 'error';
  /** The PR's location, when one was opened. */
  pr?: string;
  /** Why there is no PR. */
  reason?: string;
}

/** What maintenance returns. */
export interface MaintenanceResult {
  lines: MaintenanceLine[];
  succeeded: number;
  failed: number;
}

/** Runs the goal on every repository, at most maxConcurrent at a time. */
export async function maintenance(input: MaintenanceInput): Promise<MaintenanceResult> {
  const { repositories, maxConcurrent = 2, ...goal } = input;
  const problems: string[] = [];
  if (!Array.isArray(repositories) || repositories.length === 0) problems.push('repositories must be a non-empty list');
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > 100)
    problems.push('maxConcurrent must be a whole number from 1 to 100');
  for (const repository of Array.isArray(repositories) ? repositories : []) {
    problems.push(...validateGoalInput({ ...goal, repository }).map((p) => `${repository}: ${p}`));
  }
  if (problems.length > 0) throw failure('InvalidGoalInput', `invalid maintenance input: ${problems.join('; ')}`);

  const runId = workflowInfo().workflowId;
  const lines: MaintenanceLine[] = new Array(repositories.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < repositories.length; i = next++) {
      const repository = repositories[i]!;
      const workflowId = `${runId}/${i}-${
        repository
          .replace(/\.git$/, '')
          .split(/[/:]/)
          .filter(Boolean)
          .pop() ?? 'repo'
      }`;
      try {
        const child: GoalInput = { ...goal, repository };
        const result: GoalResult = await executeChild<typeof codingAgent>('codingAgent', {
          workflowId,
          taskQueue: AGENT_QUEUE,
          args: [child],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          ...goalStartMetadata(child),
        });
        lines[i] = lineOf(repository, workflowId, result);
      } catch (err) {
        // A child that did not succeed fails with its GoalResult as the failure's details (goal-outcome.ts).
        const result = goalResultOfFailure(err);
        if (result) {
          lines[i] = lineOf(repository, workflowId, result);
          continue;
        }
        const cause =
          err instanceof ChildWorkflowFailure
            ? (err.cause?.message ?? err.message)
            : err instanceof Error
              ? err.message
              : String(err);
        lines[i] = { repository, workflowId, status: 'error', reason: cause };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(maxConcurrent, repositories.length) }, worker));
  return {
    lines,
    succeeded: lines.filter((l) => l.status === 'succeeded').length,
    failed: lines.filter((l) => l.status !== 'succeeded').length,
  };
}

/** One repository's line from its goal's result. */
function lineOf(repository: string, workflowId: string, result: GoalResult): MaintenanceLine {
  return { repository, workflowId, status: result.status, pr: result.pr?.location, reason: result.reason };
}
