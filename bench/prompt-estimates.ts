/**
 * Estimate against actual prompt tokens, call by call, read from a goal's
 * history: each callModel result carries the plain estimate (3 characters a
 * token), the calibrated estimate the worker budgeted with, and the prompt
 * tokens the endpoint reported.
 */
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One model call's estimates and the endpoint's count. */
export interface PromptEstimate {
  plain: number;
  calibrated: number;
  actual: number;
}

/** The model calls of a history that reported prompt tokens. */
export function promptEstimatesOf(events: HistoryEvent[]): PromptEstimate[] {
  const names = new Map<string, string>();
  const out: PromptEstimate[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType?.name ?? '');
    const completed = e.activityTaskCompletedEventAttributes;
    if (!completed || names.get(String(completed.scheduledEventId)) !== 'callModel') continue;
    const payload = completed.result?.payloads?.[0];
    if (!payload) continue;
    const turn = defaultPayloadConverter.fromPayload(payload) as {
      estimatedPromptTokens: number;
      plainEstimatedPromptTokens?: number;
      usage: { promptTokens: number };
    };
    if (turn.plainEstimatedPromptTokens === undefined || turn.usage.promptTokens <= 0) continue;
    out.push({
      plain: turn.plainEstimatedPromptTokens,
      calibrated: turn.estimatedPromptTokens,
      actual: turn.usage.promptTokens,
    });
  }
  return out;
}

/** Actual / estimate over calls: the mean, the worst (highest: the estimate ran lowest) and the calls under-counted. */
export interface RatioSummary {
  calls: number;
  mean: number;
  worst: number;
  underCounted: number;
}

/** Summarises actual / estimate for one kind of estimate. */
export function ratioSummary(estimates: PromptEstimate[], kind: 'plain' | 'calibrated'): RatioSummary {
  const ratios = estimates.map((e) => e.actual / e[kind]);
  return {
    calls: ratios.length,
    mean: ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length),
    worst: Math.max(0, ...ratios),
    underCounted: ratios.filter((r) => r > 1).length,
  };
}
