/**
 * The CodeHost port: where a goal's change is published. Local git (the
 * embedded default) records a branch plus a PR record; GitHub opens a real PR.
 */
import type { CheckResult, IssueRef, PullRequestRef, Usage } from '../../workflows/types';
import type { ChangedFile } from '../shared/changed-file';

export type { ChangedFile } from '../shared/changed-file';

/** Everything a pull request is made of. */
export interface ChangeProposal {
  goalId: string;
  repository: string;
  baseBranch: string;
  baseCommit: string;
  /** The head branch, `drydock/<short-id>`. */
  branch: string;
  title: string;
  /** A draft PR (always on GitHub; locally for work published when a budget ran out). */
  draft?: boolean;
  /** Markdown body: summary, rationale, files, verification, usage. */
  body: string;
  /** Commit message, trailers included. */
  commitMessage: string;
  /** Binary-safe patch against baseCommit, made on the sandbox host from the workspace's files. */
  patch: Buffer;
  /** The git tree the patch gives on baseCommit, as verified; publishing refuses any other. */
  tree?: string;
  files: ChangedFile[];
  checks: CheckResult[];
  usage: Usage;
  model?: string;
  /** The issue the goal came from: the host links the PR to it (GitHub: one comment on the issue). */
  issue?: IssueRef;
  /** Set when the goal revises this pull request: `branch` is its head branch, and the PR is updated, not opened. */
  pullRequestNumber?: number;
}

/** An issue's text, the goal of `drydock start --issue`. */
export interface IssueText {
  title: string;
  body: string;
  url: string;
}

/** The unresolved review feedback of a pull request, the goal of `drydock revise`. */
export interface ReviewFeedback {
  headBranch: string;
  baseBranch: string;
  url: string;
  /** Review comment threads and reviews taken into the goal. */
  items: number;
  /** The goal text: what the reviewers asked for. */
  text: string;
}

/** Publishes changes. Publishing the same branch twice updates the first PR, never opens a second. */
export interface CodeHost {
  publish(proposal: ChangeProposal): Promise<PullRequestRef>;
  /** Reads an issue (hosts with issues only). */
  readIssue?(repository: string, issue: IssueRef): Promise<IssueText>;
  /** Reads a pull request's unresolved review feedback (hosts with reviews only). */
  readReviewFeedback?(repository: string, pullRequest: number): Promise<ReviewFeedback>;
}
