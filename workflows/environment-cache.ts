/**
 * environmentCache: reads or prunes a sandbox host's environment cache for
 * `drydock env`, on that host's queue (or the shared one: any host). One
 * activity.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { EnvironmentCacheAnswer, EnvironmentCacheRequest, SandboxActivities } from '../activities/activity-types';
import { SANDBOX_QUEUE, sandboxHostQueue } from './queues';

export type { EnvironmentCacheAnswer, EnvironmentCacheRequest, EnvironmentSummary } from '../activities/activity-types';

/** The request, and the host whose cache it is for (any sandbox host when absent). */
export async function environmentCache(
  request: EnvironmentCacheRequest,
  host?: string,
): Promise<EnvironmentCacheAnswer> {
  const { manageEnvironmentCache } = proxyActivities<SandboxActivities>({
    taskQueue: host ? sandboxHostQueue(host) : SANDBOX_QUEUE,
    startToCloseTimeout: '2m',
    scheduleToStartTimeout: '10s',
    retry: { maximumAttempts: 3 },
  });
  return manageEnvironmentCache(request);
}
