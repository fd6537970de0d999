/**
 * Octokit failures as drydock sees them: rate limits and server errors are
 * retried by Temporal after the delay GitHub asks for; bad credentials, missing
 * permissions, unknown repositories and invalid requests fail at once with a
 * message that says what to fix. No message carries a token.
 */
import { failure } from '../../workflows/failures';
import { redactSecrets } from '../security/redact';
import { GitHubApiError, GitHubNotConfiguredError } from './errors';

/** What a GitHub call was doing, for the message a person reads. */
export interface GitHubCallContext {
  /** e.g. `opening the pull request`. */
  action: string;
  /** `owner/repo`. */
  repository: string;
  /** The fine-grained permission the call needs, e.g. `Pull requests: read and write`. */
  permission: string;
}

/** How long to wait after a secondary rate limit that names no time (GitHub's advice: at least a minute). */
const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;
/** The longest wait drydock honours; a reset further away is waited for in several retries. */
const MAX_WAIT_MS = 60 * 60_000;

interface OctokitLikeError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** Classifies an Octokit (or network) failure; `secrets` are removed from every message. */
export function gitHubErrorOf(
  err: unknown,
  context: GitHubCallContext,
  secrets: string[] = [],
  now = Date.now(),
): GitHubApiError {
  if (err instanceof GitHubApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as OctokitLikeError;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const headers = e.response?.headers ?? {};
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return v === undefined ? undefined : String(v);
  };
  const detail = redactGitHubText(apiMessage(e), secrets);
  const where = `${context.action} on ${context.repository}`;

  if (status === undefined || status === 0) {
    return new GitHubApiError(`GitHub could not be reached while ${where}: ${detail}`, 'GitHubUnavailable');
  }
  const retryAfter = header('retry-after');
  const remaining = header('x-ratelimit-remaining');
  const reset = header('x-ratelimit-reset');
  const rateLimited =
    status === 429 || (status === 403 && (remaining === '0' || retryAfter !== undefined || /rate limit/i.test(detail)));
  if (rateLimited) {
    let waitMs: number;
    if (retryAfter !== undefined && Number.isFinite(Number(retryAfter))) waitMs = Number(retryAfter) * 1000;
    else if (remaining === '0' && reset !== undefined && Number.isFinite(Number(reset)))
      waitMs = Number(reset) * 1000 - now;
    else waitMs = SECONDARY_RATE_LIMIT_WAIT_MS;
    waitMs = Math.min(MAX_WAIT_MS, Math.max(1000, Math.ceil(waitMs)));
    return new GitHubApiError(
      `GitHub rate limit hit while ${where} (${status}: ${detail}); retrying in ${Math.round(waitMs / 1000)} s`,
      'GitHubRateLimited',
      { retryAfterMs: waitMs, status },
    );
  }
  if (status >= 500) {
    const waitMs =
      retryAfter !== undefined && Number.isFinite(Number(retryAfter))
        ? Math.max(1000, Number(retryAfter) * 1000)
        : undefined;
    return new GitHubApiError(`GitHub failed while ${where} (${status}: ${detail}); retrying`, 'GitHubUnavailable', {
      retryAfterMs: waitMs,
      status,
    });
  }
  switch (status) {
    case 401:
      return new GitHubApiError(
        `GitHub rejected the credential while ${where} (401: ${detail}): the token is invalid, expired or revoked — set a valid GITHUB_TOKEN, or check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, on the worker`,
        'GitHubUnauthorized',
        { status },
      );
    case 403:
      return new GitHubApiError(
        `GitHub refused ${where} (403: ${detail}): the credential lacks the "${context.permission}" permission on ${context.repository} — grant it to the fine-grained token (Repository permissions) or to the GitHub App and its installation`,
        'GitHubForbidden',
        { status },
      );
    case 404:
      return new GitHubApiError(
        `GitHub found nothing while ${where} (404: ${detail}): ${context.repository} (or the issue or pull request) does not exist, or the credential cannot see it — a fine-grained token must list the repository, a GitHub App must be installed on it`,
        'GitHubNotFound',
        { status },
      );
    case 422:
      return new GitHubApiError(`GitHub refused ${where} as invalid (422: ${detail})`, 'GitHubValidationFailed', {
        status,
      });
    default:
      return new GitHubApiError(`GitHub refused ${where} (${status}: ${detail})`, 'GitHubRequestFailed', { status });
  }
}

/**
 * The failure an activity throws for a GitHub error: retryable ones carry the
 * delay GitHub asked for as nextRetryDelay; hopeless ones are non-retryable.
 * Other errors are returned unchanged.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof GitHubApiError) return failure(err.type, err.message, { nextRetryDelay: err.retryAfterMs });
  if (err instanceof GitHubNotConfiguredError) return failure('GitHubNotConfigured', err.message);
  return err;
}

/** Replaces every secret (also as git's `x-access-token:<secret>` Authorization header) and every token shape in a text with `[REDACTED]`. */
export function redactGitHubText(text: string, secrets: readonly string[]): string {
  const headers = secrets.filter((s) => s !== '').map((s) => Buffer.from(`x-access-token:${s}`).toString('base64'));
  return redactSecrets(text, { secrets: [...secrets, ...headers], marker: '[REDACTED]' });
}

function apiMessage(e: OctokitLikeError): string {
  const data = e.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const parts: string[] = [];
  if (data && typeof data.message === 'string') parts.push(data.message);
  else if (e.message) parts.push(e.message.split(' - https://')[0] ?? e.message);
  if (data && Array.isArray(data.errors)) {
    for (const item of data.errors as unknown[]) {
      if (typeof item === 'string') parts.push(item);
      else if (item && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        parts.push([o.resource, o.field, o.code, o.message].filter((x) => typeof x === 'string').join(' '));
      }
    }
  }
  return (parts.join('; ') || 'no message').slice(0, 500);
}
