/**
 * Code-host activities: publishChange turns a verified change into a pull
 * request; readIssue and readReviewFeedback turn GitHub text into a goal.
 */
import { createHash } from 'crypto';
import { failure } from '../../workflows/failures';
import type {
  CheckResult,
  IssueRef,
  PullRequestRef,
  PullRequestTarget,
  SandboxPolicyView,
  Usage,
} from '../../workflows/types';
import { MAX_GOAL_CHARS } from '../../workflows/policy';
import type { ArtifactStore } from '../store/artifact-store';
import { readMessage } from '../store/conversation';
import type { ChangedFile, ReviewFeedback } from '../codehost/code-host';
import { GitHubNotConfiguredError } from '../codehost/errors';
import { toActivityFailure } from '../codehost/github-errors';
import { commitMessage, pullRequestBody, pullRequestTitle } from '../codehost/pr-body';
import { egressLogPrefix } from '../sandbox/egress-gateway';
import { summarizeEgress, type EgressSummary } from '../shared/egress-summary';
import type { CodeHostSelector } from '../codehost/select-code-host';
import { checkPublishable } from '../security/publish-gate';
import { readFinishCall } from '../tools/finish';
import { redactSecrets as redactTokenShapes } from '../security/redact';

/** What the code-host activities need. */
export interface CodeHostActivityDeps {
  store: ArtifactStore;
  /** The code host of a repository (GitHub for GitHub URLs with a credential, else local). */
  codeHostFor: CodeHostSelector;
  /** Base URL of the Temporal UI, for the link in the PR body. */
  temporalUiUrl?: string;
  namespace: string;
  /** The model name goals use when they name none (shown in the PR). */
  defaultModel: string;
  /** Secret values this worker knows (model keys, code-host tokens, setup secrets): a change holding one is refused. */
  knownSecrets?: () => string[];
}

/** Input of publishChange. */
export interface PublishChangeInput {
  goalId: string;
  repository: string;
  goal: string;
  baseBranch: string;
  baseCommit: string;
  patchRef: string;
  /** The change with every file as text (host-made); the gate reads it. */
  textPatchRef?: string;
  /** The tree the patch must give on baseCommit: the verified one. */
  tree?: string;
  files: ChangedFile[];
  /** Every changed file (files may hold only the first ones). */
  filesRef?: string;
  /** Base-commit files the setup phase changed (a rewritten lockfile) that the change leaves out; the body names them. */
  setupChanged?: string[];
  /** How many there are (setupChanged may hold only the first ones). */
  setupChangedCount?: number;
  /** Conversation index of the assistant message holding the `finish` call (absent when a budget ran out first). */
  finishIndex?: number;
  /** The summary when there is no finish call. */
  summary?: string;
  /** Set when a budget ran out: the PR is a draft marked "budget exhausted". */
  exhaustedReason?: string;
  checks: CheckResult[];
  usage: Usage;
  costUsd?: number;
  model?: string;
  iterations: number;
  /** The issue the goal came from: the PR says `Closes #N` and the issue gets one comment. */
  issue?: IssueRef;
  /** The PR a revision goal pushes to (its head branch instead of `drydock/<id>`). */
  pullRequest?: PullRequestTarget;
  /** Protected-path globs the goal's policy allows (the publish gate refuses the others). */
  allowProtectedPaths?: string[];
  /** The sandbox policy the goal ran under (its SandboxRef's policy): the PR body names it. */
  sandboxPolicy?: SandboxPolicyView;
}

/** Input of checkChange. */
export interface CheckChangeInput {
  patchRef: string;
  /** The change with every file as text (host-made); the gate reads it. */
  textPatchRef?: string;
  files: ChangedFile[];
  /** Every changed file (files may hold only the first ones). */
  filesRef?: string;
  allowProtectedPaths?: string[];
}

/** The publish gate's verdict as the workflow sees it. */
export interface ChangeVerdict {
  allowed: boolean;
  /** One line per problem; never holds a secret. */
  reasons: string[];
}

/** The goal text read from an issue. */
export interface IssueGoal {
  goal: string;
  url: string;
}

/** The agent branch of a goal: `drydock/<8 hex of the workflow id>`, stable across re-runs. */
export function agentBranch(goalId: string): string {
  return `drydock/${createHash('sha256').update(goalId).digest('hex').slice(0, 8)}`;
}

/** Creates publishChange. */
export function createCodeHostActivities(deps: CodeHostActivityDeps) {
  return {
    /** Publishes the change: one branch and one PR per goal; a re-run updates them. */
    async publishChange(input: PublishChangeInput): Promise<PullRequestRef> {
      // The gate runs here too, so no caller can publish around it.
      const patch = await deps.store.get(input.patchRef);
      const files = await allFiles(deps.store, input);
      const verdict = await gate(deps, { ...input, files });
      if (!verdict.allowed)
        throw failure('PublishRefused', `the publish gate refused the change: ${verdict.reasons.join('; ')}`);
      const finish =
        input.finishIndex === undefined
          ? { summary: input.summary ?? '', rationale: '' }
          : await finishArguments(deps.store, input.goalId, input.finishIndex);
      const text = {
        goalId: input.goalId,
        goal: input.goal,
        summary: finish.summary,
        rationale: finish.rationale,
        files,
        setupChanged: input.setupChanged,
        setupChangedCount: input.setupChangedCount,
        checks: input.checks,
        usage: input.usage,
        costUsd: input.costUsd,
        exhaustedReason: input.exhaustedReason,
        model: input.model ?? deps.defaultModel,
        iterations: input.iterations,
        workflowUrl: deps.temporalUiUrl
          ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(input.goalId)}`
          : undefined,
        closes: input.issue ? closesReference(input.repository, input.issue) : undefined,
        sandboxPolicy: input.sandboxPolicy,
        internet: await readEgressSummary(deps.store, input.goalId),
      };
      const headBranch = input.pullRequest?.headBranch;
      try {
        return await deps.codeHostFor(input.repository).publish({
          goalId: input.goalId,
          repository: input.repository,
          baseBranch: input.baseBranch,
          baseCommit: input.baseCommit,
          branch: headBranch ?? agentBranch(input.goalId),
          issue: input.issue,
          pullRequestNumber: input.pullRequest?.number,
          title: `${input.exhaustedReason ? '[budget exhausted] ' : ''}${pullRequestTitle(input.goal)}`,
          draft: input.exhaustedReason !== undefined,
          body: redactTokenShapes(pullRequestBody(text)),
          commitMessage: redactTokenShapes(commitMessage(text)),
          patch,
          tree: input.tree,
          files,
          checks: input.checks,
          usage: input.usage,
          model: input.model ?? deps.defaultModel,
        });
      } catch (err) {
        if (err instanceof Error && /does not apply|patch failed|corrupt patch/.test(err.message)) {
          throw failure('PatchDoesNotApply', `the change no longer applies to ${input.baseBranch}: ${err.message}`);
        }
        throw toActivityFailure(err);
      }
    },

    /** The publish gate: protected paths, secrets and hidden Unicode on added lines; nothing is published here. */
    async checkChange(input: CheckChangeInput): Promise<ChangeVerdict> {
      const verdict = await gate(deps, { ...input, files: await allFiles(deps.store, input) });
      return { allowed: verdict.allowed, reasons: verdict.reasons };
    },

    /** Reads a GitHub issue's title and body as a goal (the token stays on this worker). */
    async readIssue(input: { repository: string; issue: IssueRef }): Promise<IssueGoal> {
      const host = deps.codeHostFor(input.repository);
      const ref = `${input.issue.owner}/${input.issue.repo}#${input.issue.number}`;
      try {
        if (!host.readIssue) throw new GitHubNotConfiguredError(`reading issue ${ref}`);
        const issue = await host.readIssue(input.repository, input.issue);
        const goal = `${issue.title.trim()}\n\n${issue.body.trim()}`.trim();
        return { goal: goal.slice(0, MAX_GOAL_CHARS), url: issue.url };
      } catch (err) {
        throw toActivityFailure(err);
      }
    },

    /** Reads a pull request's unresolved review feedback as a goal, and its head branch. */
    async readReviewFeedback(input: { repository: string; number: number }): Promise<ReviewFeedback> {
      const host = deps.codeHostFor(input.repository);
      try {
        if (!host.readReviewFeedback)
          throw new GitHubNotConfiguredError(`revising pull request #${input.number} of ${input.repository}`);
        return await host.readReviewFeedback(input.repository, input.number);
      } catch (err) {
        throw toActivityFailure(err);
      }
    },
  };
}

/** Every changed file: the stored list when there is one, else the ones in the input. */
async function allFiles(
  store: ArtifactStore,
  input: { files: ChangedFile[]; filesRef?: string },
): Promise<ChangedFile[]> {
  if (!input.filesRef) return input.files;
  return JSON.parse((await store.get(input.filesRef)).toString('utf8')) as ChangedFile[];
}

/** The publish gate over the host-made change (its text form when there is one) and the worker's known secrets. */
async function gate(
  deps: CodeHostActivityDeps,
  input: { patchRef: string; textPatchRef?: string; files: ChangedFile[]; allowProtectedPaths?: string[] },
): Promise<ChangeVerdict> {
  const text = await deps.store.get(input.textPatchRef ?? input.patchRef);
  return checkPublishable({
    patch: text,
    files: input.files,
    allowProtectedPaths: input.allowProtectedPaths,
    knownSecrets: deps.knownSecrets?.() ?? [],
  });
}

/** `#N` for an issue of the goal's repository, `owner/repo#N` for another one. */
function closesReference(repository: string, issue: IssueRef): string {
  const same = repository
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase()
    .endsWith(`/${issue.owner}/${issue.repo}`.toLowerCase());
  return same ? `#${issue.number}` : `${issue.owner}/${issue.repo}#${issue.number}`;
}

/** The summary and rationale of the finish call at conversation index `index` ('' for what it lacks). */
async function finishArguments(
  store: ArtifactStore,
  goalId: string,
  index: number,
): Promise<{ summary: string; rationale: string }> {
  const finish = readFinishCall(await readMessage(store, goalId, index));
  return { summary: finish?.summary ?? '', rationale: finish?.rationale ?? '' };
}

/** The goal's egress logs summarised, or undefined when its agent phase had no internet. */
async function readEgressSummary(store: ArtifactStore, goalId: string): Promise<EgressSummary | undefined> {
  const keys = (await store.list(egressLogPrefix(goalId))).filter((k) => k.endsWith('.jsonl'));
  if (keys.length === 0) return undefined;
  return summarizeEgress(
    await Promise.all(keys.map(async (key) => ({ key, text: (await store.get(key)).toString('utf8') }))),
  );
}
