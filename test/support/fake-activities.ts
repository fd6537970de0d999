/**
 * Fake activities for the fast workflow tier, registered under the names the
 * workflows call: each call goes to the fake goal of its workflow id, is
 * recorded with its task queue, run and attempt, throws a scripted failure
 * when there is one, and otherwise does what the goal's script says.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { AgentActivities, SandboxActivities } from '../../activities/activity-types';
import { fakeAgentActivities } from './fake-agent-activities';
import type { ActivityName, FakeGoal } from './fake-goal';
import { fakeSandboxActivities } from './fake-sandbox-activities';

/** Finds the fake goal of a workflow id (throws for one no test set up). */
export type GoalLookup = (workflowId: string) => FakeGoal;

/** Every agent activity name (the type checks that the list is whole). */
const AGENT_NAMES = [
  'openConversation',
  'appendMessage',
  'callModel',
  'checkChange',
  'publishChange',
  'readIssue',
  'readReviewFeedback',
  'readPullRequests',
  'readModelProfiles',
  'readGoalArtifacts',
] as const;

/** Every sandbox activity name. */
const SANDBOX_NAMES = [
  'provisionSandbox',
  'destroySandbox',
  'copyRepository',
  'runSetup',
  'isolateSandbox',
  'inspectRepository',
  'runTool',
  'restoreWorkspace',
  'runChecks',
  'collectChange',
  'recordBaseline',
  'verifyChange',
  'runCommand',
  'manageEnvironmentCache',
  'findEnvironmentHost',
] as const;

// A compile error here means a workflow activity has no fake: add it to the list and to fake-*-activities.ts.
type Missing<T, L extends readonly string[]> = Exclude<keyof T, L[number]>;
const _wholeAgent: Missing<AgentActivities, typeof AGENT_NAMES> extends never ? true : never = true;
const _wholeSandbox: Missing<SandboxActivities, typeof SANDBOX_NAMES> extends never ? true : never = true;

/** The agent-queue activities, dispatching by workflow id. */
export function createFakeAgentActivities(goalOf: GoalLookup): AgentActivities {
  return dispatch(AGENT_NAMES, goalOf, fakeAgentActivities) as AgentActivities;
}

/** The sandbox-queue activities (shared and host queues alike), dispatching by workflow id. */
export function createFakeSandboxActivities(goalOf: GoalLookup): SandboxActivities {
  return dispatch(SANDBOX_NAMES, goalOf, fakeSandboxActivities) as SandboxActivities;
}

type AnyActivity = (input: unknown) => Promise<unknown>;

function dispatch<T extends object>(
  names: readonly ActivityName[],
  goalOf: GoalLookup,
  make: (goal: FakeGoal) => T,
): Record<string, AnyActivity> {
  const perGoal = new WeakMap<FakeGoal, T>();
  return Object.fromEntries(
    names.map((name) => [
      name,
      async (input: unknown) => {
        const info = Context.current().info;
        const execution = info.workflowExecution;
        if (!execution) throw ApplicationFailure.nonRetryable(`${name} ran outside a workflow`, 'FakeActivityBug');
        const goal = goalOf(execution.workflowId);
        goal.record({ activity: name, queue: info.taskQueue, runId: execution.runId, attempt: info.attempt, input });
        const failure = goal.script.fail?.[name];
        if (failure) throw failure();
        let fakes = perGoal.get(goal);
        if (!fakes) perGoal.set(goal, (fakes = make(goal)));
        return (fakes as Record<string, AnyActivity>)[name]!(input).catch((err: unknown) => {
          throw asFakeFailure(err);
        });
      },
    ]),
  );
}

/** A fake's own bug (a TypeError, say) fails the goal at once instead of being retried for a minute. */
function asFakeFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  return ApplicationFailure.create({
    message: `a fake activity failed: ${String(err)}`,
    type: 'FakeActivityBug',
    nonRetryable: true,
    cause: err instanceof Error ? err : undefined,
  });
}
