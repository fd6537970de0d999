/**
 * Activity summaries: every activity a goal schedules carries a one-line
 * summary (ActivityOptions.summary), so that the Temporal UI's event history
 * says what ran — `runTool: shell npm test`, `callModel: model turn 3` — and
 * not only which activity type.
 */
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { CurrentCall } from './types';

/** Which activities a current call of each kind runs. */
const CALL_KIND: Record<string, CurrentCall['kind']> = {
  callModel: 'model',
  runTool: 'tool',
  runChecks: 'checks',
  verifyChange: 'checks',
  copyRepository: 'setup',
  runSetup: 'setup',
  publishChange: 'publish',
};

/** What the summaries read: the call the goal runs now. */
export interface CallSource {
  currentCall?: CurrentCall;
}

/** The summary of one activity call: its name, and the current call's summary when the activity is that call's. */
export function activitySummary(name: string, current: CurrentCall | undefined): string {
  const own = current && CALL_KIND[name] === current.kind && current.summary !== name;
  return own ? `${name}: ${current.summary}` : name;
}

/** The proxied activities, each call with its summary (read from `source` when the call is scheduled). */
export function withSummaries<T extends object>(source: CallSource, proxy: ActivityInterfaceFor<T>): T {
  return new Proxy(proxy, {
    get(target, name, receiver) {
      const fn = Reflect.get(target, name, receiver) as unknown;
      if (typeof name !== 'string' || typeof fn !== 'function') return fn;
      const activity = fn as unknown as {
        executeWithOptions: (o: { summary: string }, args: unknown[]) => Promise<unknown>;
      };
      return (...args: unknown[]) =>
        activity.executeWithOptions({ summary: activitySummary(name, source.currentCall) }, args);
    },
  }) as T;
}
