/**
 * Which code host publishes a repository's change, and how the sandbox worker
 * reaches a private GitHub repository: a repository on the configured GitHub
 * with a GitHub credential on the worker goes through GitHub; anything else
 * stays local.
 */
import type { GitHubConfig } from './github-config';

/** What the code-host selectors need of the worker's configuration. */
export interface CodeHostConfig {
  /** DRYDOCK_DATA_DIR: PR records and mirrors of the local code host. */
  dataDir: string;
  github: GitHubConfig;
}
import type { CodeHost } from './code-host';
import { createGitHubAuth, gitAuthEnv, type GitHubAuth } from './github-auth';
import { GitHubHost } from './github-host';
import { gitRemoteOf, parseGitHubRepository } from './github-repository';
import { LocalGitHost } from './local-git-host';

/** The code host for a repository. */
export type CodeHostSelector = (repository: string) => CodeHost;

/** How git reaches a repository: the URL to clone and the per-command environment carrying the credential. */
export interface GitAccess {
  url: string;
  env: Record<string, string>;
  /** Values that must never appear in a message. */
  secrets: string[];
}

/** Resolves the git access of a repository, or undefined to clone it as it is. */
export type GitAccessResolver = (repository: string) => Promise<GitAccess | undefined>;

/** GitHubHost for repositories on the configured GitHub when a credential is set; LocalGitHost for the rest. */
export function createCodeHostSelector(
  config: CodeHostConfig,
  auth: GitHubAuth | undefined = createGitHubAuth(config.github),
): CodeHostSelector {
  const local = new LocalGitHost({ dataDir: config.dataDir });
  if (!auth) return () => local;
  const github = new GitHubHost({
    auth,
    apiUrl: config.github.apiUrl,
    webUrl: config.github.webUrl,
    gitUrl: config.github.gitUrl,
  });
  return (repository) => (github.serves(repository) ? github : local);
}

/** The sandbox worker's side: the credential, resolved by name from its own environment, for cloning GitHub repositories. */
export function createGitAccessResolver(
  config: CodeHostConfig,
  auth: GitHubAuth | undefined = createGitHubAuth(config.github),
): GitAccessResolver {
  return async (repository) => {
    const target = parseGitHubRepository(repository, config.github.webUrl);
    if (!target) return undefined;
    const url = gitRemoteOf(config.github.gitUrl, target);
    if (!auth) return { url, env: {}, secrets: [] };
    const token = await auth.tokenFor(target.owner, target.repo);
    return { url, env: gitAuthEnv(token), secrets: [token, ...auth.secrets()] };
  };
}
