/**
 * goalArtifacts: reads a goal's diff or log on the agent worker, where the
 * artifact store lives, so that `drydock diff` / `drydock logs` work from any
 * machine that reaches Temporal (and through the payload codec when payloads
 * are encrypted). One activity; it reads only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AgentActivities, GoalArtifactsAnswer, GoalArtifactsRequest } from '../activities/activity-types';
import { AGENT_QUEUE } from './queues';

export type { GoalArtifactsAnswer, GoalArtifactsRequest, GoalLogEntry } from '../activities/activity-types';

const { readGoalArtifacts } = proxyActivities<AgentActivities>({
  taskQueue: AGENT_QUEUE,
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** A goal's latest checkpoint or change as a patch, or a page of its log. */
export async function goalArtifacts(request: GoalArtifactsRequest): Promise<GoalArtifactsAnswer> {
  return readGoalArtifacts(request);
}
