/**
 * The CodeHost port: where a goal's change is published. Local git (the
 * embedded default) records a branch plus a PR record; GitHub opens a real PR.
 */
import type { CheckResult, PullRequestRef, Usage } from '../../workflows/types';

/** One changed file, as `git diff --numstat` / `--name-status` report it. */
export interface ChangedFile {
  path: string;
  /** A added, M modified, D deleted, R renamed, … */
  status: string;
  /** Lines added and deleted; null for binary files. */
  additions: number | null;
  deletions: number | null;
}

/** Everything a pull request is made of. */
export interface ChangeProposal {
  goalId: string;
  repository: string;
  baseBranch: string;
  baseCommit: string;
  /** The head branch, `drydock/<short-id>`. */
  branch: string;
  title: string;
  /** Markdown body: summary, rationale, files, verification, usage. */
  body: string;
  /** Commit message, trailers included. */
  commitMessage: string;
  /** Binary-safe patch against baseCommit. */
  patch: Buffer;
  files: ChangedFile[];
  checks: CheckResult[];
  usage: Usage;
  model?: string;
}

/** Publishes changes. Publishing the same branch twice updates the first PR, never opens a second. */
export interface CodeHost {
  publish(proposal: ChangeProposal): Promise<PullRequestRef>;
}
