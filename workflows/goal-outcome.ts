/**
 * How a goal's end reads in Temporal's own status: a goal that succeeded
 * completes with its GoalResult; one that did not fails the execution with a
 * non-retryable ApplicationFailure (GoalFailed, GoalBudgetExhausted) whose
 * `details[0]` is the full GoalResult, so that the Temporal UI never shows a
 * failed goal as a green "Completed". Readers get the GoalResult back either
 * way (cli/goal-result.ts readGoalResult; maintenance reads its children here).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { FailureType } from './failures';
import type { GoalResult, GoalStatus } from './types';

/** Patch marker: a goal that did not succeed fails its execution, with the GoalResult as the failure's details. */
export const UNSUCCESSFUL_GOALS_FAIL = 'unsuccessful-goals-fail';

/** The failure type of each way a goal can end without success (a cancelled goal ends as Temporal's Canceled). */
export const GOAL_OUTCOME_FAILURES: Partial<Record<GoalStatus, FailureType>> = {
  failed: 'GoalFailed',
  budget_exhausted: 'GoalBudgetExhausted',
};

/** The failure a goal that did not succeed ends with: its status and reason as the message, the GoalResult as details[0]. */
export function goalFailure(result: GoalResult): ApplicationFailure {
  const type = GOAL_OUTCOME_FAILURES[result.status] ?? 'GoalFailed';
  const why = result.reason ?? result.summary;
  const message = `goal ${result.status.replace(/_/g, ' ')}${why ? `: ${why.slice(0, 500)}` : ''}`;
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [result] });
}

/**
 * The GoalResult a failure carries: an ApplicationFailure of a goal-outcome
 * type, found on the error or along its causes (a WorkflowFailedError, a
 * ChildWorkflowFailure); undefined for any other failure.
 */
export function goalResultOfFailure(err: unknown): GoalResult | undefined {
  const types = new Set<string>(Object.values(GOAL_OUTCOME_FAILURES));
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ApplicationFailure && e.type && types.has(e.type)) {
      const result = e.details?.[0];
      if (isGoalResult(result)) return result;
    }
  }
  return undefined;
}

function isGoalResult(value: unknown): value is GoalResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as GoalResult).status === 'string' &&
    typeof (value as GoalResult).summary === 'string'
  );
}
