/**
 * Which model endpoint a goal may use. Base URLs and keys are the operator's:
 * a goal that names a base URL gets it only when the agent worker's
 * configuration lists it (DRYDOCK_MODEL_BASE_URLS, or OPENAI_BASE_URL itself),
 * and the request then goes to the operator's own spelling of that URL.
 */
import { failure } from '../../workflows/failures';
import type { ModelSpec } from '../../workflows/types';

/** The worker-side variable that lists the base URLs goals may name. */
export const MODEL_BASE_URLS_VARIABLE = 'DRYDOCK_MODEL_BASE_URLS';

/** The operator's model endpoints, as the agent worker's configuration gives them. */
export interface ModelEndpointOptions {
  /** OPENAI_BASE_URL: where goals that name no base URL go (the SDK's default when absent). */
  defaultBaseUrl?: string;
  /** DRYDOCK_MODEL_BASE_URLS: further base URLs a goal may name, exactly. */
  allowedBaseUrls: readonly string[];
}

/**
 * The comparable form of a base URL: scheme, host (lower case, default port
 * dropped) and path without trailing slashes; undefined when it is not a plain
 * http(s) URL (credentials, a query or a fragment make it one no list holds).
 */
export function canonicalBaseUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** A URL fit for a failure message: scheme, host and path only (no credentials, query or fragment), one short line. */
export function displayUrl(value: string): string {
  try {
    const url = new URL(value.trim());
    return `${url.protocol}//${url.host}${url.pathname}`.slice(0, 200);
  } catch {
    return JSON.stringify(value.replace(/[^\x20-\x7e]/g, '?').slice(0, 100));
  }
}

/**
 * The base URL a model call goes to: the operator's default when the goal
 * names none, else the operator's entry that the goal's URL matches exactly.
 * Throws a non-retryable ModelEndpointNotAllowed before any request is made.
 */
export function modelBaseUrlFor(model: ModelSpec | undefined, options: ModelEndpointOptions): string | undefined {
  const asked = model?.baseUrl;
  if (asked === undefined) return options.defaultBaseUrl;
  const wanted = canonicalBaseUrl(asked);
  const operator = [options.defaultBaseUrl, ...options.allowedBaseUrls].filter((u): u is string => u !== undefined);
  const match = wanted === undefined ? undefined : operator.find((u) => canonicalBaseUrl(u) === wanted);
  if (match !== undefined) return match;
  throw failure(
    'ModelEndpointNotAllowed',
    `model endpoint ${displayUrl(asked)} is not allowed: a goal's model.baseUrl must be listed in ${MODEL_BASE_URLS_VARIABLE} on the agent worker`,
  );
}
