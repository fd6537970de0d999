/**
 * modelProfiles: reads the model profiles on the agent worker, where the
 * operator's DRYDOCK_MODELS lives, so that `drydock models` lists what the
 * workers will use. One activity; it reads only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AgentActivities, ModelProfilesAnswer } from '../activities/activity-types';
import { AGENT_QUEUE } from './queues';

export type { ModelProfilesAnswer } from '../activities/activity-types';

const { readModelProfiles } = proxyActivities<AgentActivities>({
  taskQueue: AGENT_QUEUE,
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** Every profile the agent worker holds, with its default model. */
export async function modelProfiles(): Promise<ModelProfilesAnswer> {
  return readModelProfiles();
}
