/**
 * The beginning of a goal: where its text comes from (the input, an issue, a
 * PR's review feedback), and the sandbox made ready for the agent: the
 * repository copied at the base commit, the setup phase, the inspection that
 * finds the checks, the conversation opened and, when the policy asks, the
 * plan agreed on.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { AgentActivities } from '../activities/activity-types';
import { withSummaries, type CallSource } from './activity-summaries';
import { agreeOnPlan } from './approvals';
import type { GoalState } from './goal-state';
import { AGENT_QUEUE } from './queues';
import type { SandboxLease } from './sandbox-lease';
import type { GoalInput, GoalResult, Policy } from './types';

/** Where a goal's text comes from, and the PR a revision pushes to. */
export interface GoalSource {
  goal: string;
  pullRequest?: { number: number; headBranch: string };
}

/** A goal ready for the agent loop. */
export interface PreparedGoal {
  repo: { baseBranch: string; baseCommit: string };
  checks: string[];
  /** The conversation's length. */
  length: number;
}

/** The agent-queue activities with the goal's timeouts; each call carries a summary of the call the goal runs (`calls`). */
export function agentActivities(policy: Policy, calls: CallSource = {}): AgentActivities {
  return withSummaries(
    calls,
    proxyActivities<AgentActivities>({
      taskQueue: AGENT_QUEUE,
      startToCloseTimeout: `${policy.modelCallTimeoutSeconds + 30}s`,
      heartbeatTimeout: `${policy.modelHeartbeatTimeoutSeconds}s`,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 10 },
    }),
  );
}

/**
 * The goal text and, for a revision, the PR's head branch: an issue's title
 * and body when the input names an issue and has no goal text; a pull
 * request's unresolved review feedback when it names a pull request.
 */
export async function readGoalSource(
  input: GoalInput,
  agent: Pick<AgentActivities, 'readIssue' | 'readReviewFeedback'>,
): Promise<GoalSource> {
  if (input.pullRequest) {
    const feedback = await agent.readReviewFeedback({ repository: input.repository, number: input.pullRequest.number });
    const goal = input.goal?.trim() ? `${input.goal.trim()}\n\n${feedback.text}` : feedback.text;
    return {
      goal,
      pullRequest: {
        number: input.pullRequest.number,
        headBranch: input.pullRequest.headBranch ?? feedback.headBranch,
      },
    };
  }
  if (input.issue && !input.goal?.trim()) {
    return { goal: (await agent.readIssue({ repository: input.repository, issue: input.issue })).goal };
  }
  return { goal: input.goal };
}

/** What prepareGoal works with. */
export interface PrepareGoalOptions {
  goalId: string;
  input: GoalInput;
  policy: Policy;
  state: GoalState;
  lease: SandboxLease;
  source: GoalSource;
  agent: Pick<AgentActivities, 'openConversation' | 'callModel' | 'appendMessage'>;
}

/**
 * Copies the repository at the base commit, runs the setup phase (the goal's
 * and the repository's setup scripts with network and the named secrets; then
 * every route out is cut), finds the checks and opens the conversation; a
 * result instead when the goal ends here (no checks, a plan not approved).
 */
export async function prepareGoal(o: PrepareGoalOptions): Promise<PreparedGoal | { result: GoalResult }> {
  const { state, policy, input } = o;
  const repo = await state.during('setup', 'copy the repository, run the setup', () => o.lease.prepare());
  state.phase = 'inspecting';
  const inspection = await state.during('setup', 'inspectRepository', () =>
    o.lease.onHost.inspectRepository({ sandbox: o.lease.current, goalId: o.goalId }),
  );
  const checks = input.checks && input.checks.length > 0 ? input.checks : inspection.checks;
  if (checks.length === 0) {
    return {
      result: state.finish({
        status: 'failed',
        summary: 'No checks to verify a change with.',
        reason:
          'no checks were given and none were found (AGENTS.md checks, package.json test script, pytest, go test, cargo test, make test); pass --check "<command>"',
      }),
    };
  }
  let length = await o.agent.openConversation({
    goalId: o.goalId,
    goal: o.source.goal,
    repository: input.repository,
    baseBranch: repo.baseBranch,
    instructionsRef: inspection.instructionsRef,
    checks,
    ...(o.lease.internet ? { internet: o.lease.internet } : {}),
  });
  if (policy.requirePlanApproval) {
    state.phase = 'planning';
    const agreed = await agreeOnPlan(state, o.agent, { goalId: o.goalId, length });
    if ('stop' in agreed)
      return {
        result: state.finish({ status: agreed.status, summary: 'The plan was not approved.', reason: agreed.stop }),
      };
    length = agreed.length;
  }
  return { repo: { baseBranch: repo.baseBranch, baseCommit: repo.baseCommit }, checks, length };
}

/**
 * A hopeless activity failure (bad repository, bad credentials, a model that
 * refuses the request) fails the goal with the activity's own type and message,
 * so that the person reading the result sees the cause, not "activity failed".
 */
export function surfaceHopelessFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
    return ApplicationFailure.create({
      type: err.cause.type ?? undefined,
      message: err.cause.message,
      nonRetryable: true,
      cause: err,
    });
  }
  return err;
}
