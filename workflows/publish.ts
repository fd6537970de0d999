/**
 * The end of a goal: the change made on the sandbox's host, the publish gate,
 * the checks in a clean sandbox, the publish approval and the pull request.
 * A finish call is verified when the model makes it; publishing then uses that
 * very change. A draft after a budget ran out is verified the same way.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { AgentActivities, SandboxActivities } from '../activities/activity-types';
import { withSummaries } from './activity-summaries';
import { approvePublish } from './approvals';
import type { GoalState } from './goal-state';
import type { LeasedActivities } from './sandbox-lease';
import { SANDBOX_QUEUE } from './queues';
import type { CheckResult, GoalInput, Policy, PullRequestRef, SandboxRef } from './types';

/** Patch marker: the change is verified in a clean sandbox before it is published. */
export const CLEAN_ROOM_VERIFICATION = 'clean-room-verification';

/** Thrown when the publish gate refuses the change; the goal ends failed with the reasons. */
export class PublishRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`publish gate: ${reasons.join('; ')}`);
    this.name = 'PublishRefused';
  }
}

/** What the publisher works with. */
export interface GoalPublisherOptions {
  goalId: string;
  input: GoalInput;
  policy: Policy;
  state: GoalState;
  agent: Pick<AgentActivities, 'checkChange' | 'publishChange'>;
  onHost: Pick<LeasedActivities, 'collectChange'>;
  sandbox: SandboxRef;
  repo: { baseBranch: string; baseCommit: string };
  checks: string[];
  /** The goal text and, for a revision, the PR being revised. */
  source: { goal: string; pullRequest?: { number: number; headBranch: string } };
}

/** How publishing ended. */
export type PublishOutcome =
  | { kind: 'empty' }
  | { kind: 'sent_back'; comment: string }
  | { kind: 'stopped'; reason: string }
  | { kind: 'published'; pr: PullRequestRef };

type Change = Awaited<ReturnType<SandboxActivities['collectChange']>>;

/** Verifies and publishes a goal's change. */
export class GoalPublisher {
  /** The last finish call's verified change: published as it is. */
  private verified?: { change: Change; results: CheckResult[] };

  constructor(private readonly o: GoalPublisherOptions) {}

  /** The change made on the host, through the publish gate, verified in a clean sandbox (answering a finish call when given one). */
  async verify(reply?: { callId: string; index: number }): Promise<CheckResult[]> {
    const { o } = this;
    // The change is made on the sandbox's host from the workspace's files, never by a git in the sandbox.
    const change = await this.collect();
    // The publish gate (activities/security/publish-gate.ts): protected paths, symlinks, secrets and hidden
    // Unicode refuse the change before any branch or PR exists; publishChange checks again.
    const verdict = await o.agent.checkChange({
      patchRef: change.patchRef,
      textPatchRef: change.textPatchRef,
      files: change.files,
      filesRef: change.filesRef,
      allowProtectedPaths: o.policy.allowProtectedPaths,
    });
    if (!verdict.allowed) throw new PublishRefused(verdict.reasons);
    // The checks that decide run in a fresh sandbox on the base commit plus exactly this patch.
    const results = await o.state.during('checks', o.checks.join(' && '), () =>
      verifier(o.policy, o.checks.length, o.state).verifyChange({
        goalId: o.goalId,
        repository: o.input.repository,
        baseBranch: o.repo.baseBranch,
        baseCommit: o.repo.baseCommit,
        setup: o.input.setup,
        patchRef: change.patchRef,
        tree: change.tree ?? '',
        checks: o.checks,
        step: o.state.iteration,
        checkTimeoutSeconds: o.policy.checkTimeoutSeconds,
        reply,
      }),
    );
    o.state.recordChecks(results);
    this.verified = { change, results };
    return results;
  }

  /** Publishes the change of a finish call (as verified) or a budget-exhausted draft (verified now). */
  async publish(outcome: { summary: string; finishIndex?: number; exhaustedReason?: string }): Promise<PublishOutcome> {
    const { o } = this;
    o.state.phase = 'publishing';
    const change = await this.changeToPublish(outcome.finishIndex !== undefined);
    if (change === undefined || change.files.length === 0) return { kind: 'empty' };
    if (o.policy.requirePublishApproval) {
      const added = change.files.reduce((n, f) => n + (f.additions ?? 0), 0);
      const deleted = change.files.reduce((n, f) => n + (f.deletions ?? 0), 0);
      const files = change.fileCount ?? change.files.length;
      // The wait names the change's size (`drydock diff` shows it), not where the store keeps it.
      const gate = await approvePublish(o.state, `${files} files changed, +${added} −${deleted}`, {
        diffStat: { files, insertions: added, deletions: deleted },
        reason: outcome.exhaustedReason ? `a draft: the budget ran out (${outcome.exhaustedReason})` : '',
      });
      if (gate.kind !== 'approved') return gate;
      o.state.phase = 'publishing';
    }
    const pr = await o.state.during('publish', 'publishChange', () =>
      o.agent.publishChange({
        allowProtectedPaths: o.policy.allowProtectedPaths,
        goalId: o.goalId,
        repository: o.input.repository,
        baseBranch: o.repo.baseBranch,
        baseCommit: o.repo.baseCommit,
        goal: o.source.goal,
        issue: o.input.issue,
        pullRequest: o.source.pullRequest,
        patchRef: change.patchRef,
        textPatchRef: change.textPatchRef,
        tree: change.tree,
        files: change.files,
        filesRef: change.filesRef,
        ...(change.setupChanged
          ? { setupChanged: change.setupChanged, setupChangedCount: change.setupChangedCount }
          : {}),
        finishIndex: outcome.finishIndex,
        summary: outcome.summary,
        exhaustedReason: outcome.exhaustedReason,
        checks: o.state.checks,
        usage: o.state.usage,
        costUsd: o.state.costUsd,
        model: o.input.model?.name,
        iterations: o.state.iteration,
        sandboxPolicy: o.state.sandbox?.policy,
      }),
    );
    return { kind: 'published', pr };
  }

  /** The change to publish; undefined when it is empty (histories recorded before clean-room verification take the old path). */
  private async changeToPublish(forFinish: boolean): Promise<Change | undefined> {
    const { o } = this;
    if (this.verified && forFinish) return this.verified.change;
    if (patched(CLEAN_ROOM_VERIFICATION)) {
      // A draft after a budget ran out: verified the same way; its checks, passing or not, go in the PR.
      o.state.phase = 'verifying';
      await this.verify();
      o.state.phase = 'publishing';
      return this.verified?.change;
    }
    const change = await this.collect();
    if (change.files.length === 0) return undefined;
    const verdict = await o.agent.checkChange({
      patchRef: change.patchRef,
      files: change.files,
      allowProtectedPaths: o.policy.allowProtectedPaths,
    });
    if (!verdict.allowed) throw new PublishRefused(verdict.reasons);
    return change;
  }

  private collect(): Promise<Change> {
    const { o } = this;
    return o.onHost.collectChange({
      sandbox: o.sandbox,
      goalId: o.goalId,
      baseCommit: o.repo.baseCommit,
      repository: o.input.repository,
      baseBranch: o.repo.baseBranch,
    });
  }
}

/** The clean-room verifier on the shared sandbox queue: setup plus every check, with time to spare. */
function verifier(policy: Policy, checks: number, state: GoalState) {
  return withSummaries(
    state,
    proxyActivities<Pick<SandboxActivities, 'verifyChange'>>({
      taskQueue: SANDBOX_QUEUE,
      startToCloseTimeout: `${policy.checkTimeoutSeconds * Math.max(1, checks) + 900 + 300}s`,
      heartbeatTimeout: `${policy.sandboxLossTimeoutSeconds}s`,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
    }),
  );
}
