/**
 * Messages of codingAgent: queries, signals and updates, exported beside the
 * workflow so clients (CLI, SDK) and the workflow share one definition.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, BudgetExtension, BudgetLimits, GoalStatusView } from './types';

/** The goal's phase, iteration, usage, last tool call and checks. */
export const statusQuery = defineQuery<GoalStatusView>('status');

/** A person's message, added to the conversation before the next model turn. */
export const feedbackSignal = defineSignal<[string]>('feedback');

/** Raises a goal's limits (tokens, dollars, turns, seconds); answers with the new limits. */
export const extendBudgetUpdate = defineUpdate<BudgetLimits, [BudgetExtension]>('extendBudget');

/**
 * Stops a goal that waits for budget: it publishes what it has as a draft.
 * The signal of older clients: not refusable, ignored unless the goal waits
 * for budget. Prefer finishNowUpdate, which refuses with the goal's state.
 */
export const finishNowSignal = defineSignal('finishNow');

/** Stops a goal that waits for budget (it publishes what it has as a draft); refused, with the goal's state, when it does not wait for budget. */
export const finishNowUpdate = defineUpdate<string, []>('finishNow');

/** Approves the model's plan, or sends it back with a comment (policy.requirePlanApproval). */
export const approvePlanUpdate = defineUpdate<string, [ApprovalDecision]>('approvePlan');

/** Approves publishing the final change, or sends it back to the model with a comment (policy.requirePublishApproval). */
export const approvePublishUpdate = defineUpdate<string, [ApprovalDecision]>('approvePublish');
