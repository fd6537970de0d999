/**
 * codingAgent: one goal → one pull request. Provisions a sandbox, copies the
 * repository in, lets the model read, edit and test in a loop, verifies the
 * result itself, publishes the change and always tears the sandbox down.
 * The conversation lives in the ArtifactStore; history carries its length.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { AgentActivities, SandboxActivities } from '../activities/activity-types';
import { AgentLoop } from './agent-loop';
import { SandboxLease, type SandboxLeaseState } from './sandbox-lease';
import { GoalState, type GoalStateSnapshot } from './goal-state';
import { agreeOnPlan, approvePublish } from './approvals';
import { approvePlanUpdate, approvePublishUpdate, extendBudgetUpdate, feedbackSignal, finishNowSignal, statusQuery } from './messages';
import { compilePolicy, validateBudgetExtension, validateGoalInput } from './policy';
import { AGENT_QUEUE, SANDBOX_QUEUE } from './queues';
import type { GoalInput, GoalResult, Policy } from './types';

/** What a goal carries into its next run when it continues as new: references and counters only. */
export interface GoalResume {
  run: number;
  lease: SandboxLeaseState;
  goal: string;
  pullRequest?: { number: number; headBranch: string };
  baseBranch: string;
  baseCommit: string;
  checks: string[];
  /** The conversation's length (the conversation itself is in the ArtifactStore). */
  length: number;
  state: GoalStateSnapshot;
}

/** Runs one goal to a pull request; `resume` is set when a run continues as new. */
export async function codingAgent(input: GoalInput, resume?: GoalResume): Promise<GoalResult> {
  const errors = validateGoalInput(input);
  if (errors.length > 0) {
    throw ApplicationFailure.nonRetryable(`invalid goal input: ${errors.join('; ')}`, 'InvalidGoalInput');
  }
  const policy = compilePolicy(input.policy);
  const goalId = workflowInfo().workflowId;
  const state = new GoalState(goalId, input, policy, Date.now(), resume?.state);
  setHandler(statusQuery, () => state.view());
  setHandler(extendBudgetUpdate, (extension) => state.extend(extension, Date.now()), {
    validator: (extension) => {
      const problems = validateBudgetExtension(extension);
      if (problems.length > 0) throw new Error(`invalid budget extension: ${problems.join('; ')}`);
    },
  });
  setHandler(finishNowSignal, () => state.requestFinishNow());
  for (const [update, kind] of [
    [approvePlanUpdate, 'plan'],
    [approvePublishUpdate, 'publish'],
  ] as const) {
    setHandler(update, (decision) => state.decide(kind, decision), {
      validator: (decision) => {
        if (typeof decision !== 'object' || decision === null || typeof decision.approved !== 'boolean') {
          throw new Error('an approval is { approved: true|false, comment?, by? }');
        }
        state.assertWaitingFor(kind);
      },
    });
  }
  setHandler(feedbackSignal, (message: string) => {
    if (typeof message === 'string' && message.trim() !== '') state.pendingFeedback.push(message.slice(0, 8000));
  });

  const agent = agentActivities(policy);
  // GitHub goals (an issue, a PR's review feedback) are read before a sandbox exists, so a bad reference fails fast.
  const source = resume
    ? { goal: resume.goal, pullRequest: resume.pullRequest }
    : await readGoalSource(input, agent).catch((err: unknown) => {
        throw surfaceHopelessFailure(err);
      });
  state.phase = resume ? 'working' : 'provisioning';
  // The lease (sandbox-lease.ts) re-provisions a lost sandbox and restores the last workspace checkpoint.
  const lease = new SandboxLease(
    {
      goalId,
      policy,
      repository: input.repository,
      baseBranch: source.pullRequest?.headBranch ?? input.baseBranch,
      setup: input.setup,
      onChange: (ref) => (state.sandbox = ref),
    },
    resume?.lease,
  );
  const sandbox = resume ? lease.current : await lease.provision();
  state.sandbox = sandbox;
  const onHost = lease.onHost;
  let continuing = false;
  try {
    let repo: { baseBranch: string; baseCommit: string };
    let checks: string[];
    let length: number;
    if (resume) {
      repo = { baseBranch: resume.baseBranch, baseCommit: resume.baseCommit };
      checks = resume.checks;
      length = resume.length;
    } else {
      // Copy at the base commit, then the setup phase (activities/sandbox/phases.ts): the goal's and the repository's
      // setup script run with network and the named secrets; then every network is cut before the agent phase begins.
      repo = await lease.prepare();
      state.phase = 'inspecting';
      const inspection = await onHost.inspectRepository({ sandbox, goalId });
      checks = input.checks && input.checks.length > 0 ? input.checks : inspection.checks;
      if (checks.length === 0) {
        return state.finish({
          status: 'failed',
          summary: 'No checks to verify a change with.',
          reason:
            'no checks were given and none were found (AGENTS.md checks, package.json test script, pytest, go test, cargo test, make test); pass --check "<command>"',
        });
      }
      length = await agent.openConversation({
        goalId,
        goal: source.goal,
        repository: input.repository,
        baseBranch: repo.baseBranch,
        instructionsRef: inspection.instructionsRef,
        checks,
      });
      if (policy.requirePlanApproval) {
        state.phase = 'planning';
        const agreed = await agreeOnPlan(state, agent, { goalId, length });
        if ('stop' in agreed) return state.finish({ status: agreed.status, summary: 'The plan was not approved.', reason: agreed.stop });
        length = agreed.length;
      }
    }

    /** The change made on the host, through the publish gate, verified in a clean sandbox (replying to a finish call when one is given). */
    const verifyChange = async (reply?: { callId: string; index: number }) => {
      // The change is made on the sandbox's host from the workspace's files, never by a git in the sandbox.
      const change = await onHost.collectChange({ sandbox, goalId, baseCommit: repo.baseCommit, repository: input.repository, baseBranch: repo.baseBranch });
      // The publish gate (activities/security/publish-gate.ts): protected paths, symlinks, secrets and hidden
      // Unicode refuse the change before any branch or PR exists; publishChange checks again.
      const verdict = await agent.checkChange({
        patchRef: change.patchRef,
        textPatchRef: change.textPatchRef,
        files: change.files,
        filesRef: change.filesRef,
        allowProtectedPaths: policy.allowProtectedPaths,
      });
      if (!verdict.allowed) throw new PublishRefused(verdict.reasons);
      // The checks that decide run in a fresh sandbox on the base commit plus exactly this patch.
      const results = await verifier(policy, checks.length).verifyChange({
        goalId,
        repository: input.repository,
        baseBranch: repo.baseBranch,
        baseCommit: repo.baseCommit,
        setup: input.setup,
        patchRef: change.patchRef,
        tree: change.tree ?? '',
        checks,
        step: state.iteration,
        checkTimeoutSeconds: policy.checkTimeoutSeconds,
        reply,
      });
      state.recordChecks(results);
      return { change, results };
    };
    /** The last finish call's verified change: published as it is. */
    let verified: Awaited<ReturnType<typeof verifyChange>> | undefined;

    const publish = async (outcome: { summary: string; finishIndex?: number; exhaustedReason?: string }) => {
      state.phase = 'publishing';
      let change;
      if (verified && outcome.finishIndex !== undefined) {
        change = verified.change;
      } else if (patched('clean-room-verification')) {
        // A draft after a budget ran out: verified the same way; its checks, passing or not, go in the PR.
        state.phase = 'verifying';
        change = (await verifyChange()).change;
        state.phase = 'publishing';
      } else {
        change = await onHost.collectChange({ sandbox, goalId, baseCommit: repo.baseCommit, repository: input.repository, baseBranch: repo.baseBranch });
        if (change.files.length === 0) return { kind: 'empty' as const };
        const verdict = await agent.checkChange({ patchRef: change.patchRef, files: change.files, allowProtectedPaths: policy.allowProtectedPaths });
        if (!verdict.allowed) throw new PublishRefused(verdict.reasons);
      }
      if (change.files.length === 0) return { kind: 'empty' as const };
      if (policy.requirePublishApproval) {
        const added = change.files.reduce((n, f) => n + (f.additions ?? 0), 0);
        const deleted = change.files.reduce((n, f) => n + (f.deletions ?? 0), 0);
        const gate = await approvePublish(state, `${change.fileCount ?? change.files.length} files changed, +${added} −${deleted} (${change.patchRef})`);
        if (gate.kind !== 'approved') return gate;
        state.phase = 'publishing';
      }
      const pr = await agent.publishChange({
        allowProtectedPaths: policy.allowProtectedPaths,
        goalId,
        repository: input.repository,
        baseBranch: repo.baseBranch,
        baseCommit: repo.baseCommit,
        goal: source.goal,
        issue: input.issue,
        pullRequest: source.pullRequest,
        patchRef: change.patchRef,
        textPatchRef: change.textPatchRef,
        tree: change.tree,
        files: change.files,
        filesRef: change.filesRef,
        finishIndex: outcome.finishIndex,
        summary: outcome.summary,
        exhaustedReason: outcome.exhaustedReason,
        checks: state.checks,
        usage: state.usage,
        costUsd: state.costUsd,
        model: turnModelName(input),
        iterations: state.iteration,
      });
      return { kind: 'published' as const, pr };
    };

    const runStart = state.iteration;
    const loop = new AgentLoop(state, agent, onHost, {
      goalId,
      sandbox,
      checks,
      model: input.model,
      length,
      verifyFinish: async (reply) => {
        verified = await verifyChange(reply);
        return verified.results;
      },
      shouldContinueAsNew: () => workflowInfo().continueAsNewSuggested || state.iteration - runStart >= policy.turnsPerRun,
    });
    for (;;) {
      state.phase = 'working';
      const stop = await loop.runUntilStop();
      if (stop.kind === 'continue') {
        // History stays small: the next run carries references and counters only, and keeps the sandbox.
        await condition(allHandlersFinished);
        continuing = true;
        return await continueAsNew<typeof codingAgent>(input, {
          run: (resume?.run ?? 0) + 1,
          lease: lease.state(),
          goal: source.goal,
          pullRequest: source.pullRequest,
          baseBranch: repo.baseBranch,
          baseCommit: repo.baseCommit,
          checks,
          length: loop.conversationLength,
          state: state.snapshot(),
        });
      }
      if (stop.kind === 'finished') {
        const published = await publish({ summary: stop.summary, finishIndex: stop.finishIndex });
        switch (published.kind) {
          case 'empty':
            return state.finish({
              status: 'failed',
              summary: stop.summary || 'The model finished without changing anything.',
              reason: 'the checks pass but the workspace has no change to publish',
            });
          case 'sent_back':
            state.pendingFeedback.push(`The change was not approved for publishing: ${published.comment}`);
            continue;
          case 'stopped':
            return state.finish({ status: 'failed', summary: stop.summary, reason: published.reason });
          case 'published':
            return state.finish({ status: 'succeeded', summary: stop.summary, pr: published.pr });
        }
      }
      if (stop.kind === 'failed') return state.finish({ status: 'failed', summary: stop.summary, reason: stop.reason });
      // A budget ran out: wait for more when asked to, else publish what there is as a draft.
      if (policy.onExhausted === 'ask') {
        const extended = await state.waitForBudgetDecision(stop.reason);
        if (extended) continue;
      }
      const summary = `Budget exhausted: ${stop.reason}.`;
      if (policy.onExhausted === 'stop') return state.finish({ status: 'budget_exhausted', summary, reason: stop.reason });
      if (!patched('clean-room-verification')) {
        state.phase = 'verifying';
        state.recordChecks(await onHost.runChecks({ sandbox, goalId, checks, step: state.iteration }));
      }
      const published = await publish({ summary, exhaustedReason: stop.reason });
      const pr = published.kind === 'published' ? published.pr : undefined;
      const reason =
        published.kind === 'sent_back' || published.kind === 'stopped'
          ? `${stop.reason}; the draft was not published (${published.kind === 'stopped' ? published.reason : 'sent back'})`
          : stop.reason;
      return state.finish({ status: 'budget_exhausted', summary, reason, pr });
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
    if (!continuing) {
      state.phase = 'tearing_down';
      await CancellationScope.nonCancellable(() => lease.release());
    }
    if (!continuing) {
      state.phase = 'done';
      log.info('sandbox removed', { container: lease.current.containerName, replacements: lease.replacements });
    }
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

/** The clean-room verifier on the shared sandbox queue: setup plus every check, with time to spare. */
function verifier(policy: Policy, checks: number) {
  return proxyActivities<Pick<SandboxActivities, 'verifyChange'>>({
    taskQueue: SANDBOX_QUEUE,
    startToCloseTimeout: `${policy.checkTimeoutSeconds * Math.max(1, checks) + 900 + 300}s`,
    heartbeatTimeout: `${policy.sandboxLossTimeoutSeconds}s`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
}

function turnModelName(input: GoalInput): string | undefined {
  return input.model?.name;
}

function agentActivities(policy: Policy) {
  return proxyActivities<AgentActivities>({
    taskQueue: AGENT_QUEUE,
    startToCloseTimeout: `${policy.modelCallTimeoutSeconds + 30}s`,
    heartbeatTimeout: `${policy.modelHeartbeatTimeoutSeconds}s`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 10 },
  });
}

