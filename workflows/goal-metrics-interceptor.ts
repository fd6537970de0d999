/**
 * A workflow interceptor module that counts goals by outcome (drydock_goals)
 * through the SDK's workflow metric meter, which records nothing on replay.
 * It emits no command, so histories are unchanged.
 */
import {
  isCancellation,
  metricMeter,
  workflowInfo,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { ContinueAsNew } from '@temporalio/workflow';
import { GOALS } from './metric-names';

const inbound: WorkflowInboundCallsInterceptor = {
  async execute(input, next) {
    if (workflowInfo().workflowType !== 'codingAgent') return next(input);
    try {
      const result = await next(input);
      const status = (result as { status?: unknown } | undefined)?.status;
      metricMeter.createCounter(GOALS).add(1, { outcome: typeof status === 'string' ? status : 'unknown' });
      return result;
    } catch (err) {
      // A goal that continues as new has not ended.
      if (!(err instanceof ContinueAsNew))
        metricMeter.createCounter(GOALS).add(1, { outcome: isCancellation(err) ? 'cancelled' : 'error' });
      throw err;
    }
  },
};

/** The factory the worker loads from this module (WorkerOptions.interceptors.workflowModules). */
export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [inbound] });
