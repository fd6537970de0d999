/**
 * The one way every reader (CLI, benches, tests) gets a goal's GoalResult from
 * its handle: a succeeded goal completes with it; one that did not fails the
 * execution with it as the failure's details (workflows/goal-outcome.ts). The
 * client's data converter decodes the details (the payload codec applies).
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { goalResultOfFailure } from '../workflows/goal-outcome';
import type { GoalResult } from '../workflows/types';

/**
 * Waits for a goal's end and returns its GoalResult, whether the execution
 * completed or failed with the result as details; any other failure (a
 * hopeless input, a cancellation, a termination) is thrown as the client threw it.
 */
export async function readGoalResult(handle: Pick<WorkflowHandle, 'result'>): Promise<GoalResult> {
  try {
    return (await handle.result()) as GoalResult;
  } catch (err) {
    const result = err instanceof WorkflowFailedError ? goalResultOfFailure(err.cause) : undefined;
    if (result) return result;
    throw err;
  }
}
