/**
 * Messages of codingAgent: queries, signals and updates, exported beside the
 * workflow so clients (CLI, SDK) and the workflow share one definition.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GoalStatusView } from './types';

/** The goal's phase, iteration, usage, last tool call and checks. */
export const statusQuery = defineQuery<GoalStatusView>('status');

/** A person's message, added to the conversation before the next model turn. */
export const feedbackSignal = defineSignal<[string]>('feedback');
