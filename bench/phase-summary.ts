/** Which phase dominates goal time across many goals: the scale rows' "slowest phase". */
import type { GoalTimings } from './history';

/** The time waiting for a worker: every activity's scheduled → started. */
export const WAITING_PHASE = '(waiting for a worker)';
/** The time outside activities: workflow tasks and the gaps between them. */
export const BETWEEN_PHASE = '(workflow tasks, between activities)';

/** One phase's mean time per goal and its share of the mean goal time. */
export interface PhaseShare {
  phase: string;
  /** Mean ms per goal. */
  meanMs: number;
  /** meanMs / mean goal wall time (0–1; parallel activities can add up to more). */
  share: number;
}

/**
 * Each phase's mean time per goal, largest first: each activity type's running
 * time (started → closed), the wait for a worker (scheduled → started, all
 * activities), and the rest of the goal's wall time (workflow tasks, gaps).
 */
export function phaseSharesOf(goals: GoalTimings[]): PhaseShare[] {
  if (goals.length === 0) return [];
  const totals = new Map<string, number>();
  const add = (phase: string, ms: number) => totals.set(phase, (totals.get(phase) ?? 0) + ms);
  let wallTotal = 0;
  for (const g of goals) {
    const wall = g.closedMs - g.startedMs;
    wallTotal += wall;
    let inActivities = 0;
    for (const a of g.activities) {
      add(a.name, a.closedMs - a.startedMs);
      add(WAITING_PHASE, a.startedMs - a.scheduledMs);
      inActivities += a.closedMs - a.scheduledMs;
    }
    add(BETWEEN_PHASE, Math.max(0, wall - inActivities));
  }
  const meanWall = wallTotal / goals.length;
  return [...totals]
    .map(([phase, total]) => ({
      phase,
      meanMs: total / goals.length,
      share: meanWall > 0 ? total / goals.length / meanWall : 0,
    }))
    .sort((a, b) => b.meanMs - a.meanMs || a.phase.localeCompare(b.phase));
}

/** "runTool 1.2 s (41%)": the phase that takes most of the goals' time, or "—" without goals. */
export function describeSlowestPhase(goals: GoalTimings[]): string {
  const top = phaseSharesOf(goals)[0];
  if (!top) return '—';
  return `${top.phase} ${(top.meanMs / 1000).toFixed(1)} s (${Math.round(top.share * 100)}%)`;
}
