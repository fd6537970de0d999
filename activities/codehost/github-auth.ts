/**
 * GitHub credentials on the worker: a fine-grained personal access token, or a
 * GitHub App (app id + private key → a JWT signed RS256 with node's crypto →
 * an installation token scoped to one repository, cached and refreshed before
 * it expires). GitHub Enterprise through the API base URL.
 */
import { createPrivateKey, sign, type KeyObject } from 'crypto';
import { readFileSync } from 'fs';
import { Octokit } from '@octokit/rest';
import type { GitHubConfig } from './github-config';
import { gitHubErrorOf } from './github-errors';

/** Hands out a token for one repository. */
export interface GitHubAuth {
  readonly kind: 'token' | 'app';
  /** A token that may act on owner/repo now. */
  tokenFor(owner: string, repo: string): Promise<string>;
  /** Every secret this credential holds or has handed out, for redaction. */
  secrets(): string[];
}

/** Options of the GitHub App credential. */
export interface AppAuthOptions {
  appId: string;
  /** PEM text (literal `\n` escapes allowed) or the path of a PEM file. */
  privateKey: string;
  apiUrl: string;
  /** Refresh a cached installation token this long before it expires (default 5 minutes). */
  refreshBeforeMs?: number;
  now?: () => number;
}

/** The token of the worker's GITHUB_TOKEN, for every repository. */
export class TokenAuth implements GitHubAuth {
  readonly kind = 'token';
  constructor(private readonly token: string) {}
  async tokenFor(): Promise<string> {
    return this.token;
  }
  secrets(): string[] {
    return [this.token];
  }
}

/** A GitHub App: one installation token per repository, refreshed before it expires. */
export class AppAuth implements GitHubAuth {
  readonly kind = 'app';
  private readonly key: KeyObject;
  private readonly cache = new Map<string, Promise<{ token: string; expiresAt: number }>>();
  private readonly issued = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: AppAuthOptions) {
    this.key = createPrivateKey(readPem(options.privateKey));
    this.now = options.now ?? Date.now;
  }

  async tokenFor(owner: string, repo: string): Promise<string> {
    const id = `${owner}/${repo}`.toLowerCase();
    const cached = this.cache.get(id);
    if (cached) {
      const entry = await cached.catch(() => undefined);
      if (entry && entry.expiresAt - this.now() > (this.options.refreshBeforeMs ?? 5 * 60_000)) return entry.token;
    }
    const fresh = this.installationToken(owner, repo);
    this.cache.set(id, fresh);
    fresh.catch(() => this.cache.delete(id));
    return (await fresh).token;
  }

  secrets(): string[] {
    return [...this.issued];
  }

  /** A JWT that authenticates as the App for ten minutes (backdated a minute against clock drift). */
  appJwt(): string {
    const iat = Math.floor(this.now() / 1000) - 60;
    const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat, exp: iat + 600, iss: this.options.appId })}`;
    return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), this.key).toString('base64url')}`;
  }

  private async installationToken(owner: string, repo: string): Promise<{ token: string; expiresAt: number }> {
    const octokit = createOctokit(this.options.apiUrl, this.appJwt());
    const context = { repository: `${owner}/${repo}`, permission: 'the GitHub App installed on the repository' };
    let installationId: number;
    try {
      installationId = (await octokit.apps.getRepoInstallation({ owner, repo })).data.id;
    } catch (err) {
      throw gitHubErrorOf(err, { ...context, action: 'finding the GitHub App installation' });
    }
    try {
      const { data } = await octokit.apps.createInstallationAccessToken({
        installation_id: installationId,
        repositories: [repo],
      });
      this.issued.add(data.token);
      return { token: data.token, expiresAt: Date.parse(data.expires_at) };
    } catch (err) {
      throw gitHubErrorOf(err, { ...context, action: 'creating an installation token' });
    }
  }
}

/** The credential the configuration names, or undefined when none is set (an App wins over a token). */
export function createGitHubAuth(config: GitHubConfig): GitHubAuth | undefined {
  if (config.appId && config.appPrivateKey)
    return new AppAuth({ appId: config.appId, privateKey: config.appPrivateKey, apiUrl: config.apiUrl });
  if (config.token) return new TokenAuth(config.token);
  return undefined;
}

/** An Octokit client for one token against the configured API; quiet except for warnings. */
export function createOctokit(apiUrl: string, token: string): Octokit {
  return new Octokit({
    auth: token,
    baseUrl: apiUrl,
    userAgent: 'drydock',
    log: {
      debug: () => {},
      info: () => {},
      warn: (m: string) => console.warn(m),
      error: (m: string) => console.error(m),
    },
  });
}

/** The header git sends to GitHub over HTTPS, as GIT_CONFIG_* variables: never argv, never .git/config. */
export function gitAuthEnv(token: string): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
  };
}

function readPem(value: string): string {
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n');
  return readFileSync(value, 'utf8');
}
