/**
 * codingAgent: one goal → one pull request. Provisions a sandbox, copies the
 * repository in, lets the model read, edit and test in a loop, verifies the
 * result itself, publishes the change and always tears the sandbox down.
 * The conversation lives in the ArtifactStore; history carries its length.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { AgentActivities, SandboxActivities } from '../activities/activity-types';
import { AgentLoop } from './agent-loop';
import { GoalState } from './goal-state';
import { extendBudgetUpdate, feedbackSignal, finishNowSignal, statusQuery } from './messages';
import { compilePolicy, validateBudgetExtension, validateGoalInput } from './policy';
import { SANDBOX_QUEUE, AGENT_QUEUE } from './queues';
import type { GoalInput, GoalResult, Policy, SandboxRef } from './types';

/** Runs one goal to a pull request. */
export async function codingAgent(input: GoalInput): Promise<GoalResult> {
  const errors = validateGoalInput(input);
  if (errors.length > 0) {
    throw ApplicationFailure.nonRetryable(`invalid goal input: ${errors.join('; ')}`, 'InvalidGoalInput');
  }
  const policy = compilePolicy(input.policy);
  const goalId = workflowInfo().workflowId;
  const state = new GoalState(goalId, input, policy, Date.now());
  setHandler(statusQuery, () => state.view());
  setHandler(extendBudgetUpdate, (extension) => state.extend(extension, Date.now()), {
    validator: (extension) => {
      const problems = validateBudgetExtension(extension);
      if (problems.length > 0) throw new Error(`invalid budget extension: ${problems.join('; ')}`);
    },
  });
  setHandler(finishNowSignal, () => state.requestFinishNow());
  setHandler(feedbackSignal, (message: string) => {
    if (typeof message === 'string' && message.trim() !== '') state.pendingFeedback.push(message.slice(0, 8000));
  });

  const agent = agentActivities(policy);
  // GitHub goals (an issue, a PR's review feedback) are read before a sandbox exists, so a bad reference fails fast.
  const source = await readGoalSource(input, agent).catch((err: unknown) => {
    throw surfaceHopelessFailure(err);
  });
  state.phase = 'provisioning';
  const sandbox = await sharedSandboxActivities().provisionSandbox({ goalId });
  state.sandbox = sandbox;
  const onHost = hostSandboxActivities(sandbox, policy);
  try {
    const repo = await onHost.copyRepository({ sandbox, repository: input.repository, baseBranch: source.pullRequest?.headBranch ?? input.baseBranch });
    // Setup phase (activities/sandbox/phases.ts): the goal's and the repository's setup script run with
    // network and the named secrets; then every network is cut before the agent phase begins.
    const setup = await onHost.runSetup({ sandbox, goalId, setup: input.setup });
    if (setup.ran) await onHost.isolateSandbox({ sandbox });
    state.phase = 'inspecting';
    const inspection = await onHost.inspectRepository({ sandbox, goalId });
    const checks = input.checks && input.checks.length > 0 ? input.checks : inspection.checks;
    if (checks.length === 0) {
      return state.finish({
        status: 'failed',
        summary: 'No checks to verify a change with.',
        reason:
          'no checks were given and none were found (AGENTS.md checks, package.json test script, pytest, go test, cargo test, make test); pass --check "<command>"',
      });
    }
    const length = await agent.openConversation({
      goalId,
      goal: source.goal,
      repository: input.repository,
      baseBranch: repo.baseBranch,
      instructionsRef: inspection.instructionsRef,
      checks,
    });

    const publish = async (outcome: { summary: string; finishIndex?: number; exhaustedReason?: string }) => {
      state.phase = 'publishing';
      const change = await onHost.collectChange({ sandbox, goalId, baseCommit: repo.baseCommit });
      if (change.files.length === 0) return undefined;
      // The publish gate (activities/security/publish-gate.ts): protected paths, secrets and hidden
      // Unicode refuse the change before any branch or PR exists; publishChange checks again.
      const verdict = await agent.checkChange({ patchRef: change.patchRef, files: change.files, allowProtectedPaths: policy.allowProtectedPaths });
      if (!verdict.allowed) throw new PublishRefused(verdict.reasons);
      return agent.publishChange({
        allowProtectedPaths: policy.allowProtectedPaths,
        goalId,
        repository: input.repository,
        baseBranch: repo.baseBranch,
        baseCommit: repo.baseCommit,
        goal: source.goal,
        issue: input.issue,
        pullRequest: source.pullRequest,
        patchRef: change.patchRef,
        files: change.files,
        finishIndex: outcome.finishIndex,
        summary: outcome.summary,
        exhaustedReason: outcome.exhaustedReason,
        checks: state.checks,
        usage: state.usage,
        costUsd: state.costUsd,
        model: turnModelName(input),
        iterations: state.iteration,
      });
    };

    const loop = new AgentLoop(state, agent, onHost, { goalId, sandbox, checks, model: input.model, length });
    for (;;) {
      state.phase = 'working';
      const stop = await loop.runUntilStop();
      if (stop.kind === 'finished') {
        const pr = await publish({ summary: stop.summary, finishIndex: stop.finishIndex });
        if (!pr) {
          return state.finish({
            status: 'failed',
            summary: stop.summary || 'The model finished without changing anything.',
            reason: 'the checks pass but the workspace has no change to publish',
          });
        }
        return state.finish({ status: 'succeeded', summary: stop.summary, pr });
      }
      if (stop.kind === 'failed') return state.finish({ status: 'failed', summary: stop.summary, reason: stop.reason });
      // A budget ran out: wait for more when asked to, else publish what there is as a draft.
      if (policy.onExhausted === 'ask') {
        const extended = await state.waitForBudgetDecision(stop.reason);
        if (extended) continue;
      }
      const summary = `Budget exhausted: ${stop.reason}.`;
      if (policy.onExhausted === 'stop') return state.finish({ status: 'budget_exhausted', summary, reason: stop.reason });
      state.phase = 'verifying';
      state.recordChecks(await onHost.runChecks({ sandbox, goalId, checks, step: state.iteration }));
      const pr = await publish({ summary, exhaustedReason: stop.reason });
      return state.finish({ status: 'budget_exhausted', summary, reason: stop.reason, pr });
    }
  } catch (err) {
    if (err instanceof PublishRefused) {
      return state.finish({ status: 'failed', summary: 'The publish gate refused the change.', reason: `publish gate: ${err.reasons.join('; ')}` });
    }
    if (isCancellation(err)) {
      state.result = { ...state.baseResult(), status: 'cancelled', summary: 'The goal was cancelled.' };
    }
    throw surfaceHopelessFailure(err);
  } finally {
    state.phase = 'tearing_down';
    await CancellationScope.nonCancellable(() => hostSandboxActivities(sandbox, policy).destroySandbox({ sandbox }));
    state.phase = 'done';
    log.info('sandbox removed', { container: sandbox.containerName });
  }
}

/** Thrown inside the workflow when the publish gate refuses the change; the goal ends failed with the reasons. */
class PublishRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`publish gate: ${reasons.join('; ')}`);
    this.name = 'PublishRefused';
  }
}


/**
 * A hopeless activity failure (bad repository, bad credentials, a model that
 * refuses the request) fails the goal with the activity's own type and message,
 * so that the person reading the result sees the cause, not "activity failed".
 */
function surfaceHopelessFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
    return ApplicationFailure.create({ type: err.cause.type ?? undefined, message: err.cause.message, nonRetryable: true, cause: err });
  }
  return err;
}

/**
 * The goal text and, for a revision, the PR's head branch: an issue's title
 * and body when the input names an issue and has no goal text; a pull
 * request's unresolved review feedback when it names a pull request.
 */
async function readGoalSource(
  input: GoalInput,
  agent: ReturnType<typeof agentActivities>,
): Promise<{ goal: string; pullRequest?: { number: number; headBranch: string } }> {
  if (input.pullRequest) {
    const feedback = await agent.readReviewFeedback({ repository: input.repository, number: input.pullRequest.number });
    const goal = input.goal?.trim() ? `${input.goal.trim()}\n\n${feedback.text}` : feedback.text;
    return { goal, pullRequest: { number: input.pullRequest.number, headBranch: input.pullRequest.headBranch ?? feedback.headBranch } };
  }
  if (input.issue && !input.goal?.trim()) {
    return { goal: (await agent.readIssue({ repository: input.repository, issue: input.issue })).goal };
  }
  return { goal: input.goal };
}

function turnModelName(input: GoalInput): string | undefined {
  return input.model?.name;
}

function agentActivities(policy: Policy) {
  return proxyActivities<AgentActivities>({
    taskQueue: AGENT_QUEUE,
    startToCloseTimeout: `${policy.modelCallTimeoutSeconds + 30}s`,
    heartbeatTimeout: '60s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 10 },
  });
}

function sharedSandboxActivities() {
  return proxyActivities<SandboxActivities>({
    taskQueue: SANDBOX_QUEUE,
    startToCloseTimeout: '5m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
}

function hostSandboxActivities(sandbox: SandboxRef, policy: Policy) {
  const longest = Math.max(policy.commandTimeoutSeconds, policy.checkTimeoutSeconds);
  return proxyActivities<SandboxActivities>({
    taskQueue: sandbox.taskQueue,
    startToCloseTimeout: `${longest + 120}s`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
}
