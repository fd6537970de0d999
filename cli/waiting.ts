/**
 * What a waiting goal waits for, in words, with since / until and the exact
 * commands that answer; and the call a working goal runs now. Read from the
 * status view's `waiting` and `currentCall` (and, from goals started before
 * they existed, from its `waitingFor` text).
 */
import type { GoalStatusView } from '../workflows/types';
import { clock, span } from './time-text';

/** A goal's wait, ready to print. */
export interface WaitText {
  /** `publish approval: 3 files, +12 −4` */
  what: string;
  /** `since 09:12:03 (2m 10s ago)`, when known. */
  since?: string;
  /** `until 2026-12-07 09:12:03 (in 6d 23h)`, when known. */
  until?: string;
  /** The commands that answer, in the order a person uses them. */
  commands: string[];
}

type WaitKind = 'plan_approval' | 'publish_approval' | 'budget';

/** The commands that answer a wait of this kind for this goal. */
export function answerCommands(kind: WaitKind, id: string): string[] {
  switch (kind) {
    case 'plan_approval':
      return [`drydock approve plan ${id}`, `drydock approve plan ${id} --reject --comment "…"`];
    case 'publish_approval':
      return [
        `drydock diff ${id}`,
        `drydock approve publish ${id}`,
        `drydock approve publish ${id} --reject --comment "…"`,
      ];
    case 'budget':
      return [`drydock extend ${id} --tokens <n> --iterations <n> --seconds <duration>`, `drydock finish-now ${id}`];
  }
}

/** The wait of a goal, or undefined when it does not wait. */
export function describeWait(v: GoalStatusView, now = Date.now()): WaitText | undefined {
  if (v.result) return undefined;
  const w = v.waiting;
  if (w) {
    const label = { plan_approval: 'plan approval', publish_approval: 'publish approval', budget: 'budget' }[w.kind];
    const stat = w.diffStat
      ? `${w.diffStat.files} file${w.diffStat.files === 1 ? '' : 's'} changed, +${w.diffStat.insertions} −${w.diffStat.deletions}`
      : undefined;
    return {
      what: [label, w.reason, stat].filter(Boolean).join(': '),
      since: `since ${clock(w.since, now)} (${span(now - w.since)} ago)`,
      until: w.until > 0 ? `until ${clock(w.until, now)} (in ${span(w.until - now)})` : 'until answered',
      commands: answerCommands(w.kind, v.workflowId),
    };
  }
  // A goal whose workflow predates `waiting`: its text names the update that answers.
  if (!v.waitingFor) return undefined;
  const kind: WaitKind | undefined = /approvePlan/.test(v.waitingFor)
    ? 'plan_approval'
    : /approvePublish/.test(v.waitingFor)
      ? 'publish_approval'
      : /extendBudget|finishNow/.test(v.waitingFor)
        ? 'budget'
        : undefined;
  return {
    // Temporal's words (the update to send) and the store key give way to the commands below.
    what: v.waitingFor.replace(/\s*\((send the|times out).*\)\s*$/, '').replace(/\s*\(goals\/[^)]*\)/, ''),
    commands: kind ? answerCommands(kind, v.workflowId) : [],
  };
}

/** The call running now and for how long: `tool: shell npm test (for 25s)`. */
export function describeCurrentCall(v: GoalStatusView, now = Date.now()): string | undefined {
  const c = v.currentCall;
  if (!c || v.result) return undefined;
  return `${c.kind}: ${c.summary.split('\n')[0]?.slice(0, 100) ?? ''} (for ${span(now - c.startedAt)})`;
}

/** The phase in words: `awaiting_publish_approval` → `awaiting publish approval`. */
export function phaseText(v: GoalStatusView): string {
  return v.phase.replace(/_/g, ' ');
}
