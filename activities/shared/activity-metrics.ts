/**
 * Recording drydock's metrics from inside an activity, through the SDK's
 * metric meter of the activity's context (a no-op outside one, and where the
 * worker's Runtime exports no metrics).
 */
import { Context } from '@temporalio/activity';
import type { MetricMeter, MetricTags } from '@temporalio/common';

/** The current activity's metric meter, or undefined outside an activity. */
function meter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

/** Records a value on a histogram of drydock's (ms, bytes, dollars) with these tags. */
export function recordHistogram(
  name: string,
  value: number,
  tags: MetricTags = {},
  valueType: 'int' | 'float' = 'int',
): void {
  meter()
    ?.createHistogram(name, valueType)
    .record(valueType === 'int' ? Math.max(0, Math.round(value)) : Math.max(0, value), tags);
}

/** Adds to a counter of drydock's with these tags. */
export function addToCounter(name: string, value: number, tags: MetricTags = {}): void {
  if (value > 0) meter()?.createCounter(name).add(Math.round(value), tags);
}
