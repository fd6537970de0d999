/** `owner/repo#123` (or an issue / pull request URL) as the CLI's --issue and revise take it. */
import { UsageError } from './errors';

/** An issue or pull request on GitHub. */
export interface GitHubRef {
  owner: string;
  repo: string;
  number: number;
}

/** Parses `owner/repo#123` or `https://<host>/owner/repo/(issues|pull)/123`; throws UsageError naming the option. */
export function parseGitHubRef(text: string | undefined, option: string): GitHubRef {
  const value = (text ?? '').trim();
  const m =
    /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)#(\d+)$/.exec(value) ??
    /^https?:\/\/[^/]+(?:\/.*)?\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/(?:issues|pull)\/(\d+)\/?$/.exec(value);
  if (!m || !m[1] || !m[2] || !m[3] || Number(m[3]) < 1) {
    throw new UsageError(`${option}: expected owner/repo#number (e.g. acme/app#123), got ${JSON.stringify(value)}`);
  }
  return { owner: m[1], repo: m[2].replace(/\.git$/, ''), number: Number(m[3]) };
}
