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
