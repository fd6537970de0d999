/** Timings of a goal read from its workflow history: activities, sandbox ready, steps, phases. */
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { SANDBOX_QUEUE } from '../workflows/queues';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One activity execution (its last attempt) with times in epoch ms. */
export interface ActivitySpan {
  name: string;
  /** The task queue it was scheduled on (a sandbox host's queue names the host). */
  taskQueue: string;
  scheduledMs: number;
  /** When a worker picked the last attempt up. */
  startedMs: number;
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
  const scheduled = new Map<string, { name: string; taskQueue: string; at: number; startedAt?: number }>();
  const activities: ActivitySpan[] = [];
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      scheduled.set(id, { name: a.activityType?.name ?? '?', taskQueue: a.taskQueue?.name ?? '', at });
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const s = scheduled.get(String(started.scheduledEventId));
      if (s) s.startedAt = at;
    }
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (closed) {
      const s = scheduled.get(String(closed.scheduledEventId));
      if (s)
        activities.push({
          name: s.name,
          taskQueue: s.taskQueue,
          scheduledMs: s.at,
          startedMs: s.startedAt ?? s.at,
          closedMs: at,
        });
    }
  }
  return {
    startedMs: tsToMs(events[0]?.eventTime),
    closedMs: tsToMs(events[events.length - 1]?.eventTime),
    events: events.length,
    activities,
  };
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
    if (a.name === 'callModel' && b.name === 'runTool' && c.name === 'callModel')
      out.push(c.scheduledMs - a.scheduledMs);
  }
  return out;
}

/** The parts of one agent step, in ms. */
export interface StepParts {
  /** The callModel activity, scheduled to closed. */
  model: number;
  /** The runTool activity, scheduled to closed. */
  tool: number;
  /** Of model + tool: scheduled to picked up by a worker. */
  dispatch: number;
  /** Workflow tasks: after one activity closes until the next is scheduled. */
  between: number;
}

/** The parts of each agent step: the callModel activity, the runTool activity, and the rest (workflow tasks, dispatch). */
export function stepPartsMs(t: GoalTimings): StepParts[] {
  const ordered = [...t.activities].sort((a, b) => a.scheduledMs - b.scheduledMs);
  const out: StepParts[] = [];
  for (let i = 0; i + 2 < ordered.length; i++) {
    const [a, b, c] = [ordered[i]!, ordered[i + 1]!, ordered[i + 2]!];
    if (a.name === 'callModel' && b.name === 'runTool' && c.name === 'callModel') {
      const model = a.closedMs - a.scheduledMs;
      const tool = b.closedMs - b.scheduledMs;
      const dispatch = a.startedMs - a.scheduledMs + (b.startedMs - b.scheduledMs);
      out.push({ model, tool, dispatch, between: c.scheduledMs - a.scheduledMs - model - tool });
    }
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

/**
 * The host of each sandbox the goal held, in order: for every provisionSandbox,
 * the host whose queue (drydock-sandbox-<host>) got the goal's next sandbox
 * activity ("?" when none came). More than one entry: the goal re-provisioned.
 */
export function sandboxHostsOf(t: GoalTimings): string[] {
  const ordered = [...t.activities].sort((a, b) => a.scheduledMs - b.scheduledMs);
  const prefix = `${SANDBOX_QUEUE}-`;
  return ordered
    .filter((a) => a.name === 'provisionSandbox')
    .map((p) => {
      // The lost sandbox's removal goes to the old host, so it does not name the new one.
      const next = ordered.find(
        (a) => a.scheduledMs >= p.closedMs && a.name !== 'destroySandbox' && a.taskQueue.startsWith(prefix),
      );
      return next ? next.taskQueue.slice(prefix.length) : '?';
    });
}
