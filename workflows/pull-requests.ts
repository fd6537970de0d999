/**
 * pullRequests: reads the local code host's PR records on the agent worker,
 * where they live, so that `drydock pr list` / `pr show` work from any
 * machine that reaches Temporal. One activity; it reads only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AgentActivities, PullRequestsAnswer, PullRequestsRequest } from '../activities/activity-types';
import { AGENT_QUEUE } from './queues';

export type { PullRequestsAnswer, PullRequestsRequest, PullRequestSummary } from '../activities/activity-types';

const { readPullRequests } = proxyActivities<AgentActivities>({
  taskQueue: AGENT_QUEUE,
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** Every PR record (without bodies), or the one a PR id, head branch or goal id names. */
export async function pullRequests(request: PullRequestsRequest): Promise<PullRequestsAnswer> {
  return readPullRequests(request);
}
