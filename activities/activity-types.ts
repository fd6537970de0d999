/**
 * The activity interfaces workflows call, as types only (workflows import
 * nothing else from activities/).
 */
import type { createModelActivities } from './agent/model-activities';
import type { createCodeHostActivities } from './agent/codehost-activities';
import type { createPullRequestActivities } from './agent/pull-request-activities';
import type { createModelProfileActivities } from './agent/model-profile-activities';
import type { createGoalArtifactActivities } from './agent/goal-artifact-activities';
import type { createSandboxActivities } from './host';

/** Activities on the agent queue (`drydock-agent`). */
export type AgentActivities = ReturnType<typeof createModelActivities> &
  ReturnType<typeof createCodeHostActivities> &
  ReturnType<typeof createPullRequestActivities> &
  ReturnType<typeof createModelProfileActivities> &
  ReturnType<typeof createGoalArtifactActivities>;

/** Activities on the sandbox queues (`drydock-sandbox`, `drydock-sandbox-<host>`). */
export type SandboxActivities = ReturnType<typeof createSandboxActivities>;

export type { CallBudget } from './agent/model-activities';
export type { ModelProfilesAnswer } from './agent/model-profile-activities';
export type { PullRequestsAnswer, PullRequestsRequest, PullRequestSummary } from './agent/pull-request-activities';
export type { GoalArtifactsAnswer, GoalArtifactsRequest, GoalLogEntry } from './agent/goal-artifact-activities';
export type {
  EnvironmentCacheAnswer,
  EnvironmentCacheRequest,
  EnvironmentSummary,
} from './host/environment-cache-activities';
