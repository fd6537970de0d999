/** What workers register: createAgentActivities and createSandboxActivities. */
import { createCodeHostActivities, type CodeHostActivityDeps } from './agent/codehost-activities';
import { createModelActivities, type ModelActivityDeps } from './agent/model-activities';
import { createPullRequestActivities, type PullRequestActivityDeps } from './agent/pull-request-activities';
import { createModelProfileActivities, type ModelProfileActivityDeps } from './agent/model-profile-activities';
import { createGoalArtifactActivities } from './agent/goal-artifact-activities';
import { createSandboxActivities, type SandboxActivityDeps } from './host';
import type { AgentActivities, SandboxActivities } from './activity-types';

export type { AgentActivities, SandboxActivities } from './activity-types';
export { createSandboxActivities, type SandboxActivityDeps } from './host';

/** What the agent worker's activities need. */
export type AgentActivityDeps = ModelActivityDeps &
  CodeHostActivityDeps &
  PullRequestActivityDeps &
  ModelProfileActivityDeps;

/** The agent queue's activities: conversation, model calls, publishing, reading PR records and goal artifacts. */
export function createAgentActivities(deps: AgentActivityDeps): AgentActivities {
  return {
    ...createModelActivities(deps),
    ...createCodeHostActivities(deps),
    ...createPullRequestActivities(deps),
    ...createModelProfileActivities(deps),
    ...createGoalArtifactActivities(deps),
  };
}

/** Both queues' activities, for a single-process worker. */
export function createActivities(deps: AgentActivityDeps & SandboxActivityDeps): AgentActivities & SandboxActivities {
  return { ...createAgentActivities(deps), ...createSandboxActivities(deps) };
}
