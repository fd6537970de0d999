/** Timings of a goal read from its workflow history: activities, sandbox ready, steps, phases. */
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One activity execution (its last attempt) with times in epoch ms. */
export interface ActivitySpan {
  name: string;
  scheduledMs: number;
  closedMs: number;
}

/** What one goal's history says. */
export interface GoalTimings {
  startedMs: number;
  closedMs: number;
  events: number;
  activities: ActivitySpan[];
}

/** Reads the spans of every activity and the goal's start and end. */
export function timingsOf(events: HistoryEvent[]): GoalTimings {
  const scheduled = new Map<string, { name: string; at: number }>();
  const activities: ActivitySpan[] = [];
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
    }
    const closed =
      e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (closed) {
      const s = scheduled.get(String(closed.scheduledEventId));
      if (s) activities.push({ name: s.name, scheduledMs: s.at, closedMs: at });
    }
  }
  return { startedMs: tsToMs(events[0]?.eventTime), closedMs: tsToMs(events[events.length - 1]?.eventTime), events: events.length, activities };
}

/** Provision requested → repository copied: when the first command can run. */
export function sandboxReadyMs(t: GoalTimings): number | undefined {
  const provision = t.activities.find((a) => a.name === 'provisionSandbox');
  const copy = t.activities.find((a) => a.name === 'copyRepository');
  return provision && copy ? copy.closedMs - provision.scheduledMs : undefined;
}

/**
 * Agent steps: from one callModel being scheduled to the next, when exactly one
 * runTool ran between them (a model call plus a tool call, with every workflow task).
 */
export function stepDurationsMs(t: GoalTimings): number[] {
  const ordered = [...t.activities].sort((a, b) => a.scheduledMs - b.scheduledMs);
  const out: number[] = [];
  for (let i = 0; i + 2 < ordered.length; i++) {
    const [a, b, c] = [ordered[i]!, ordered[i + 1]!, ordered[i + 2]!];
    if (a.name === 'callModel' && b.name === 'runTool' && c.name === 'callModel') out.push(c.scheduledMs - a.scheduledMs);
  }
  return out;
}

/** Wall time by phase: each activity type's total, and what the workflow spent between them. */
export function phasesOf(t: GoalTimings): Record<string, number> {
  const phases: Record<string, number> = {};
  let inActivities = 0;
  for (const a of t.activities) {
    phases[a.name] = (phases[a.name] ?? 0) + (a.closedMs - a.scheduledMs);
    inActivities += a.closedMs - a.scheduledMs;
  }
  const wall = t.closedMs - t.startedMs;
  phases['(workflow tasks, between activities)'] = wall - inActivities;
  phases['(total wall)'] = wall;
  return phases;
}
