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
import { feedbackSignal, statusQuery } from './messages';
import { addUsage, compilePolicy, NO_USAGE, validateGoalInput } from './policy';
import { SANDBOX_QUEUE, AGENT_QUEUE } from './queues';
import type {
  CheckResult,
  GoalInput,
  GoalPhase,
  GoalResult,
  GoalStatusView,
  Policy,
  SandboxRef,
  Usage,
} from './types';

/** Model turns in a row without a valid tool call before the goal stops. */
const MAX_IDLE_TURNS = 3;

/** Runs one goal to a pull request. */
export async function codingAgent(input: GoalInput): Promise<GoalResult> {
  const errors = validateGoalInput(input);
  if (errors.length > 0) {
    throw ApplicationFailure.nonRetryable(`invalid goal input: ${errors.join('; ')}`, 'InvalidGoalInput');
  }
  const policy = compilePolicy(input.policy);
  const goalId = workflowInfo().workflowId;
  const state = new GoalState(goalId, input, policy);
  setHandler(statusQuery, () => state.view());
  setHandler(feedbackSignal, (message: string) => {
    if (typeof message === 'string' && message.trim() !== '') state.pendingFeedback.push(message.slice(0, 8000));
  });

  const agent = agentActivities(policy);
  state.phase = 'provisioning';
  const sandbox = await sharedSandboxActivities().provisionSandbox({ goalId });
  state.sandbox = sandbox;
  const onHost = hostSandboxActivities(sandbox, policy);
  try {
    const repo = await onHost.copyRepository({ sandbox, repository: input.repository, baseBranch: input.baseBranch });
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
    let length = await agent.openConversation({
      goalId,
      goal: input.goal,
      repository: input.repository,
      baseBranch: repo.baseBranch,
      instructionsRef: inspection.instructionsRef,
      checks,
    });

    state.phase = 'working';
    let finished: { summary: string; finishIndex: number } | undefined;
    let idleTurns = 0;
    while (!finished && state.iteration < policy.maxIterations) {
      for (const feedback of state.pendingFeedback.splice(0)) {
        await agent.appendMessage({ goalId, index: length++, role: 'user', content: `Feedback from a person: ${feedback}` });
      }
      const turn = await agent.callModel({ goalId, step: state.iteration, length, model: input.model });
      state.iteration++;
      state.usage = addUsage(state.usage, turn.usage);
      length = turn.assistantIndex + 1;
      if (turn.toolCalls.length === 0) {
        idleTurns++;
        if (idleTurns >= MAX_IDLE_TURNS) {
          return state.finish({
            status: 'failed',
            summary: 'The model stopped calling tools.',
            reason: `the model answered ${idleTurns} times in a row without a tool call`,
          });
        }
        await agent.appendMessage({
          goalId,
          index: length++,
          role: 'user',
          content: 'Reply with a tool call. When the goal is met, call finish with a summary and your rationale.',
        });
        continue;
      }
      idleTurns = 0;
      // Finish goes last so that the other calls of the same turn run first.
      const calls = [...turn.toolCalls].sort((a, b) => Number(a.name === 'finish') - Number(b.name === 'finish'));
      for (const call of calls) {
        const resultIndex = length++;
        if (call.name === 'finish') {
          state.phase = 'verifying';
          const results = await onHost.runChecks({
            sandbox,
            goalId,
            checks,
            step: state.iteration,
            reply: { callId: call.id, index: resultIndex },
          });
          state.recordChecks(results);
          state.phase = 'working';
          if (results.every((r) => r.passed)) finished = { summary: turn.finishSummary ?? '', finishIndex: turn.assistantIndex };
        } else {
          const outcome = await onHost.runTool({
            sandbox,
            goalId,
            assistantIndex: turn.assistantIndex,
            callId: call.id,
            resultIndex,
            commandTimeoutSeconds: policy.commandTimeoutSeconds,
            maxOutputBytes: policy.maxToolOutputBytes,
          });
          state.lastTool = { name: call.name, argumentsPreview: call.argumentsPreview, summary: outcome.summary };
        }
      }
    }
    if (!finished) {
      return state.finish({
        status: 'budget_exhausted',
        summary: `The goal was not met within ${policy.maxIterations} model turns.`,
        reason: `max iterations (${policy.maxIterations}) reached before the model finished with passing checks`,
      });
    }

    state.phase = 'publishing';
    const change = await onHost.collectChange({ sandbox, goalId, baseCommit: repo.baseCommit });
    if (change.files.length === 0) {
      return state.finish({
        status: 'failed',
        summary: finished.summary || 'The model finished without changing anything.',
        reason: 'the checks pass but the workspace has no change to publish',
      });
    }
    const pr = await agent.publishChange({
      goalId,
      repository: input.repository,
      baseBranch: repo.baseBranch,
      baseCommit: repo.baseCommit,
      goal: input.goal,
      patchRef: change.patchRef,
      files: change.files,
      finishIndex: finished.finishIndex,
      checks: state.checks,
      usage: state.usage,
      model: turnModelName(input),
      iterations: state.iteration,
    });
    return state.finish({ status: 'succeeded', summary: finished.summary, pr });
  } catch (err) {
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

/** The mutable state of one goal, and the view the status query returns. */
class GoalState {
  phase: GoalPhase = 'validating';
  iteration = 0;
  usage: Usage = NO_USAGE;
  checks: CheckResult[] = [];
  lastTool?: { name: string; argumentsPreview: string; summary: string };
  sandbox?: SandboxRef;
  result?: GoalResult;
  readonly pendingFeedback: string[] = [];

  constructor(
    readonly goalId: string,
    readonly input: GoalInput,
    readonly policy: Policy,
  ) {}

  recordChecks(results: CheckResult[]): void {
    this.checks = results;
  }

  baseResult(): GoalResult {
    return { status: 'failed', summary: '', usage: this.usage, iterations: this.iteration, checks: this.checks };
  }

  finish(outcome: Pick<GoalResult, 'status' | 'summary'> & Partial<GoalResult>): GoalResult {
    this.result = { ...this.baseResult(), ...outcome };
    return this.result;
  }

  view(): GoalStatusView {
    const state = this.checks.length === 0 ? 'not_run' : this.checks.every((c) => c.passed) ? 'passed' : 'failed';
    return {
      workflowId: this.goalId,
      repository: this.input.repository,
      goal: this.input.goal.slice(0, 500),
      phase: this.phase,
      iteration: this.iteration,
      maxIterations: this.policy.maxIterations,
      usage: this.usage,
      lastTool: this.lastTool,
      checks: { state, results: this.checks.map((c) => ({ command: c.command, exitCode: c.exitCode })) },
      sandboxHost: this.sandbox?.host,
      result: this.result,
    };
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
