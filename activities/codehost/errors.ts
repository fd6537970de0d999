import { FAILURES, type FailureType } from '../../workflows/failures';

/** Thrown when a git command fails; the message is git's own error output. */
export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ''} failed: ${stderr.split('\n').slice(-3).join(' ').slice(0, 500)}`);
    this.name = 'GitCommandError';
  }
}

/** What a GitHubApiError carries besides its message and type. */
export interface GitHubApiErrorDetails {
  /** When the request may be tried again (rate limits); undefined for the activity's own backoff. */
  retryAfterMs?: number;
  /** The HTTP status GitHub answered. */
  status?: number;
}

/** Thrown when a GitHub API call or a git transfer to GitHub fails; its type (retryable or not, per the failure catalogue) and `retryAfterMs` say what Temporal should do. */
export class GitHubApiError extends Error {
  readonly retryAfterMs?: number;
  readonly status?: number;

  constructor(
    message: string,
    /** The failure type for Temporal, e.g. `GitHubRateLimited`, `GitHubForbidden`. */
    readonly type: FailureType,
    details: GitHubApiErrorDetails = {},
  ) {
    super(message);
    this.name = 'GitHubApiError';
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.status !== undefined) this.status = details.status;
  }

  /** Whether Temporal retries it, as the failure catalogue says of its type. */
  get retryable(): boolean {
    return FAILURES[this.type].retryable;
  }
}

/** Thrown when a goal needs GitHub (an issue, a PR to revise) but the worker has no GitHub credential for the repository. */
export class GitHubNotConfiguredError extends Error {
  constructor(what: string) {
    super(
      `${what} needs GitHub credentials on the agent worker: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (and GITHUB_API_URL for GitHub Enterprise)`,
    );
    this.name = 'GitHubNotConfiguredError';
  }
}
