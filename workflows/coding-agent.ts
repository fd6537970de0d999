/**
 * codingAgent: one goal → one pull request. The story of a goal: its text is
 * read, a sandbox is leased and prepared (goal-start.ts), the model works in a
 * loop (agent-loop.ts) until it finishes, a budget runs out or it fails; the
 * change is verified in a clean sandbox and published (publish.ts); the
 * sandbox is always torn down. The messages it answers are in
 * goal-handlers.ts. The conversation lives in the ArtifactStore; history
 * carries its length.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  CancellationScope,
  isCancellation,
  patched,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import { AgentLoop, type LoopStop } from './agent-loop';
import { SandboxLease, type SandboxLeaseState } from './sandbox-lease';
import { GoalState, type GoalStateSnapshot } from './goal-state';
import { registerGoalHandlers } from './goal-handlers';
import {
  agentActivities,
  prepareGoal,
  readGoalSource,
  surfaceHopelessFailure,
  type GoalSource,
  type PreparedGoal,
} from './goal-start';
import { CLEAN_ROOM_VERIFICATION, GoalPublisher, PublishRefused } from './publish';
import { failure } from './failures';
import { goalFailure, UNSUCCESSFUL_GOALS_FAIL } from './goal-outcome';
import { compilePolicy, validateGoalInput } from './policy';
import type { GoalInput, GoalResult, Policy, SandboxRef } from './types';

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
    throw failure('InvalidGoalInput', `invalid goal input: ${errors.join('; ')}`);
  }
  const policy = compilePolicy(input.policy);
  const goalId = workflowInfo().workflowId;
  const state = new GoalState(goalId, input, policy, Date.now(), resume?.state);
  registerGoalHandlers(state);

  const agent = agentActivities(policy, state);
  // GitHub goals (an issue, a PR's review feedback) are read before a sandbox exists, so a bad reference fails fast.
  const source: GoalSource = resume
    ? { goal: resume.goal, pullRequest: resume.pullRequest }
    : await readGoalSource(input, agent).catch((err: unknown) => {
        throw surfaceHopelessFailure(err);
      });
  if (source.goal !== input.goal) state.setMemo(source.goal);
  state.phase = resume ? 'working' : 'provisioning';
  // The lease (sandbox-lease.ts) re-provisions a lost sandbox and restores the last workspace checkpoint.
  const lease = new SandboxLease(
    {
      goalId,
      policy,
      repository: input.repository,
      baseBranch: source.pullRequest?.headBranch ?? input.baseBranch,
      setup: input.setup,
      internet: input.internet,
      onChange: (ref) => (state.sandbox = ref),
      onEnvironment: (line) => (state.environment = line),
      calls: state,
    },
    resume?.lease,
  );
  // A bad repository or environment file is found while looking for the cached environment's host: fail with its cause.
  state.sandbox = resume
    ? lease.current
    : await state
        .during('setup', 'provisionSandbox', () => lease.provision())
        .catch((err: unknown) => {
          throw surfaceHopelessFailure(err);
        });
  let continuing = false;
  let result: GoalResult;
  try {
    const outcome = await workOn({ goalId, input, policy, state, agent, lease, source, resume });
    if ('next' in outcome) {
      // History stays small: the next run carries references and counters only, and keeps the sandbox.
      await condition(allHandlersFinished);
      continuing = true;
      return await continueAsNew<typeof codingAgent>(input, outcome.next);
    }
    result = outcome.result;
  } catch (err) {
    result = endInFailure(err, state);
  } finally {
    if (!continuing) {
      state.phase = 'tearing_down';
      await CancellationScope.nonCancellable(() => lease.release());
      state.phase = 'done';
      log.info('sandbox removed', { container: lease.current.containerName, replacements: lease.replacements });
    }
  }
  // A goal that did not succeed fails its execution (the GoalResult is the failure's details), so Temporal's own status tells.
  if (result.status !== 'succeeded' && patched(UNSUCCESSFUL_GOALS_FAIL)) throw goalFailure(result);
  return result;
}

/** What a goal works with once its sandbox is leased. */
interface GoalContext {
  goalId: string;
  input: GoalInput;
  policy: Policy;
  state: GoalState;
  agent: ReturnType<typeof agentActivities>;
  lease: SandboxLease;
  source: GoalSource;
  resume?: GoalResume;
}

/**
 * The goal's work on its leased sandbox: prepared (or resumed), then the
 * agent loop until the goal settles, or until this run should continue as new.
 */
async function workOn(g: GoalContext): Promise<{ result: GoalResult } | { next: GoalResume }> {
  const { goalId, input, policy, state, agent, lease, source, resume } = g;
  const sandbox = lease.current;
  const prepared: PreparedGoal | { result: GoalResult } = resume
    ? {
        repo: { baseBranch: resume.baseBranch, baseCommit: resume.baseCommit },
        checks: resume.checks,
        length: resume.length,
      }
    : await prepareGoal({ goalId, input, policy, state, lease, source, agent });
  if ('result' in prepared) return prepared;
  const { repo, checks } = prepared;
  const onHost = lease.onHost;
  const publisher = new GoalPublisher({ goalId, input, policy, state, agent, onHost, sandbox, repo, checks, source });
  const runStart = state.iteration;
  const loop = new AgentLoop(state, agent, onHost, {
    goalId,
    sandbox,
    checks,
    model: input.model,
    length: prepared.length,
    verifyFinish: (reply) => publisher.verify(reply),
    shouldContinueAsNew: () =>
      workflowInfo().continueAsNewSuggested || state.iteration - runStart >= policy.turnsPerRun,
  });
  for (;;) {
    state.phase = 'working';
    const stop = await loop.runUntilStop();
    if (stop.kind === 'continue') {
      const length = loop.conversationLength;
      const next = {
        run: (resume?.run ?? 0) + 1,
        lease: lease.state(),
        ...source,
        ...repo,
        checks,
        length,
        state: state.snapshot(),
      };
      return { next };
    }
    const settled = await settle(stop, { state, policy, publisher, onHost, sandbox, goalId, checks });
    if (settled !== 'again') return { result: settled };
  }
}

/** A goal that threw: the publish gate's refusal ends it failed with the reasons; anything else fails it with its cause. */
function endInFailure(err: unknown, state: GoalState): GoalResult {
  if (err instanceof PublishRefused) {
    return state.finish({
      status: 'failed',
      summary: 'The publish gate refused the change.',
      reason: `publish gate: ${err.reasons.join('; ')}`,
    });
  }
  if (isCancellation(err)) {
    state.result = { ...state.baseResult(), status: 'cancelled', summary: 'The goal was cancelled.' };
  }
  throw surfaceHopelessFailure(err);
}

/** What settling a stop of the loop needs. */
interface SettleOptions {
  state: GoalState;
  policy: Policy;
  publisher: GoalPublisher;
  onHost: SandboxLease['onHost'];
  sandbox: SandboxRef;
  goalId: string;
  checks: string[];
}

/**
 * How a stop of the agent loop ends the goal: a finish publishes (or goes back
 * to the model when a person sends the change back), a failure fails, a budget
 * that ran out waits for more when asked to, else publishes a draft; 'again'
 * runs the loop once more.
 */
async function settle(stop: Exclude<LoopStop, { kind: 'continue' }>, o: SettleOptions): Promise<GoalResult | 'again'> {
  const { state, policy } = o;
  if (stop.kind === 'finished') {
    const published = await o.publisher.publish({ summary: stop.summary, finishIndex: stop.finishIndex });
    switch (published.kind) {
      case 'empty':
        return state.finish({
          status: 'failed',
          summary: stop.summary || 'The model finished without changing anything.',
          reason: 'the checks pass but the workspace has no change to publish',
        });
      case 'sent_back':
        state.pendingFeedback.push(`The change was not approved for publishing: ${published.comment}`);
        return 'again';
      case 'stopped':
        return state.finish({ status: 'failed', summary: stop.summary, reason: published.reason });
      case 'published':
        return state.finish({ status: 'succeeded', summary: stop.summary, pr: published.pr });
    }
  }
  if (stop.kind === 'failed') return state.finish({ status: 'failed', summary: stop.summary, reason: stop.reason });
  // A budget ran out: wait for more when asked to, else publish what there is as a draft.
  if (policy.onExhausted === 'ask' && (await state.waitForBudgetDecision(stop.reason))) return 'again';
  const summary = `Budget exhausted: ${stop.reason}.`;
  if (policy.onExhausted === 'stop') return state.finish({ status: 'budget_exhausted', summary, reason: stop.reason });
  if (!patched(CLEAN_ROOM_VERIFICATION)) {
    state.phase = 'verifying';
    state.recordChecks(
      await o.onHost.runChecks({ sandbox: o.sandbox, goalId: o.goalId, checks: o.checks, step: state.iteration }),
    );
  }
  const published = await o.publisher.publish({ summary, exhaustedReason: stop.reason });
  const pr = published.kind === 'published' ? published.pr : undefined;
  const reason =
    published.kind === 'sent_back' || published.kind === 'stopped'
      ? `${stop.reason}; the draft was not published (${published.kind === 'stopped' ? published.reason : 'sent back'})`
      : stop.reason;
  return state.finish({ status: 'budget_exhausted', summary, reason, pr });
}
