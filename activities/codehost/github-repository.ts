/** Which repositories are on the configured GitHub: `<web URL>/<owner>/<repo>(.git)`. */

/** A repository on GitHub. */
export interface GitHubRepository {
  owner: string;
  repo: string;
}

/** The owner and name of a repository URL on the GitHub at webUrl, or undefined for any other repository. */
export function parseGitHubRepository(repository: string, webUrl: string): GitHubRepository | undefined {
  const base = webUrl.replace(/\/+$/, '');
  if (!repository.toLowerCase().startsWith(`${base.toLowerCase()}/`)) return undefined;
  const rest = repository
    .slice(base.length + 1)
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(rest);
  if (!m || m[1] === undefined || m[2] === undefined || m[2] === '.' || m[2] === '..') return undefined;
  return { owner: m[1], repo: m[2] };
}

/** The URL git clones and pushes a repository from (`<git URL>/<owner>/<repo>.git`). */
export function gitRemoteOf(gitUrl: string, r: GitHubRepository): string {
  return `${gitUrl.replace(/\/+$/, '')}/${r.owner}/${r.repo}.git`;
}
