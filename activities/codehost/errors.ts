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

/** Thrown when a repository path or URL cannot be cloned, or its branch does not exist. */
export class RepositoryUnavailableError extends Error {
  constructor(
    readonly repository: string,
    detail: string,
  ) {
    super(`repository ${repository} cannot be used: ${detail}`);
    this.name = 'RepositoryUnavailableError';
  }
}

/** Thrown when a GitHub API call or a git transfer to GitHub fails; `retryable` and `retryAfterMs` say what Temporal should do. */
export class GitHubApiError extends Error {
  constructor(
    message: string,
    /** A failure type for Temporal, e.g. `GitHubRateLimited`, `GitHubForbidden`. */
    readonly type: string,
    readonly retryable: boolean,
    /** When the request may be tried again (rate limits); undefined for the activity's own backoff. */
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GitHubApiError';
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
