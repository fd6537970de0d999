/**
 * Reading drydock's environment variables: the pieces the workers
 * (workers/config.ts) and the client (cli/config.ts) both read, each with one
 * clear message per bad value. Every reader takes the trimmed-value getter and
 * appends its problems to a list, so that a caller reports every bad value at once.
 * Temporal's own variables (address, namespace, profile, TLS, API key) are read
 * in temporal-connection.ts.
 */

/** Thrown when an environment variable has a value drydock cannot use. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** A variable's trimmed value; undefined when unset or blank. */
export type EnvGetter = (name: string) => string | undefined;

/** The getter over an environment: blank values count as unset. */
export function envGetter(env: NodeJS.ProcessEnv): EnvGetter {
  return (name) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
}

/** DRYDOCK_UI_URL (default http://localhost:8233), without trailing slashes: the Temporal UI, for links. */
export function readTemporalUiUrl(get: EnvGetter, problems: string[]): string {
  const temporalUiUrl = get('DRYDOCK_UI_URL') ?? 'http://localhost:8233';
  if (!isHttpUrl(temporalUiUrl))
    problems.push(`DRYDOCK_UI_URL must be an http(s) URL, got ${JSON.stringify(temporalUiUrl)}`);
  return temporalUiUrl.replace(/\/+$/, '');
}

/** DOCKER_HOST, when set (dockerode's default otherwise). */
export function readDockerHost(get: EnvGetter, problems: string[]): string | undefined {
  const dockerHost = get('DOCKER_HOST');
  if (dockerHost && !/^(unix|tcp|npipe|ssh|http|https):\/\//.test(dockerHost)) {
    problems.push(
      `DOCKER_HOST must start with unix://, tcp://, ssh:// or http(s)://, got ${JSON.stringify(dockerHost)}`,
    );
  }
  return dockerHost;
}

/** OPENAI_BASE_URL, when set: an OpenAI-compatible endpoint. */
export function readOpenAiBaseUrl(get: EnvGetter, problems: string[]): string | undefined {
  const openaiBaseUrl = get('OPENAI_BASE_URL');
  if (openaiBaseUrl && !isHttpUrl(openaiBaseUrl))
    problems.push(`OPENAI_BASE_URL must be an http(s) URL, got ${JSON.stringify(openaiBaseUrl)}`);
  return openaiBaseUrl;
}

/** DRYDOCK_MODEL (default gpt-4.1): the model goals use when they name none. */
export function readDefaultModel(get: EnvGetter): string {
  return get('DRYDOCK_MODEL') ?? 'gpt-4.1';
}

/** Where GitHub (or GitHub Enterprise) answers: its REST API, its web pages, its git remotes. */
export interface GitHubUrls {
  apiUrl: string;
  webUrl: string;
  gitUrl: string;
}

/** GITHUB_API_URL, DRYDOCK_GITHUB_WEB_URL (derived from the API URL when unset) and DRYDOCK_GITHUB_GIT_URL (the web URL when unset). */
export function readGitHubUrls(get: EnvGetter, problems: string[]): GitHubUrls {
  const apiUrl = (get('GITHUB_API_URL') ?? 'https://api.github.com').replace(/\/+$/, '');
  if (!isHttpUrl(apiUrl)) problems.push(`GITHUB_API_URL must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  const webUrl = (get('DRYDOCK_GITHUB_WEB_URL') ?? webUrlOf(apiUrl)).replace(/\/+$/, '');
  if (!isHttpUrl(webUrl)) problems.push(`DRYDOCK_GITHUB_WEB_URL must be an http(s) URL, got ${JSON.stringify(webUrl)}`);
  const gitUrl = (get('DRYDOCK_GITHUB_GIT_URL') ?? webUrl).replace(/\/+$/, '');
  if (!/^(https?|file):\/\//.test(gitUrl))
    problems.push(`DRYDOCK_GITHUB_GIT_URL must be an http(s) or file:// URL, got ${JSON.stringify(gitUrl)}`);
  return { apiUrl, webUrl, gitUrl };
}

/** DRYDOCK_PAYLOAD_KEY, when set: base64 of 32 bytes; workflow payloads are AES-GCM encrypted with it. */
export function readPayloadKey(get: EnvGetter, problems: string[]): string | undefined {
  const payloadKey = get('DRYDOCK_PAYLOAD_KEY');
  if (payloadKey === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(payloadKey) || Buffer.from(payloadKey, 'base64').length !== 32) {
    problems.push('DRYDOCK_PAYLOAD_KEY must be the base64 of 32 random bytes (make one with: openssl rand -base64 32)');
    return undefined;
  }
  return payloadKey;
}

/** The size of a sandbox's disk when DRYDOCK_SANDBOX_DISK is unset. */
export const DEFAULT_SANDBOX_DISK_BYTES = 10 * 1024 ** 3;
/** The smallest DRYDOCK_SANDBOX_DISK accepted. */
const MIN_SANDBOX_DISK_BYTES = 256 * 1024 ** 2;

/** DRYDOCK_SANDBOX_DISK (default 10g; `off`: null): the fixed size of a sandbox's workspace disk. */
export function readSandboxDisk(get: EnvGetter, problems: string[]): number | null {
  const disk = get('DRYDOCK_SANDBOX_DISK');
  if (disk === undefined) return DEFAULT_SANDBOX_DISK_BYTES;
  const bytes = /^(off|none|0)$/i.test(disk) ? null : parseBytes(disk);
  if (bytes === undefined || (bytes !== null && bytes < MIN_SANDBOX_DISK_BYTES)) {
    problems.push(
      `DRYDOCK_SANDBOX_DISK must be a size of at least 256m (e.g. 10g) or off, got ${JSON.stringify(disk)}`,
    );
    return DEFAULT_SANDBOX_DISK_BYTES;
  }
  return bytes;
}

/** DRYDOCK_SECCOMP_PROFILE, when set: an absolute path to a seccomp profile file. */
export function readSeccompProfilePath(get: EnvGetter, problems: string[]): string | undefined {
  const seccomp = get('DRYDOCK_SECCOMP_PROFILE');
  if (seccomp === undefined) return undefined;
  if (!seccomp.startsWith('/')) {
    problems.push(
      `DRYDOCK_SECCOMP_PROFILE must be an absolute path to a seccomp profile file, got ${JSON.stringify(seccomp)}`,
    );
    return undefined;
  }
  return seccomp;
}

/** `2g`, `512m`, `1048576` → bytes; undefined when unreadable. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

/** True for an http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The web URL of a GitHub API URL: api.github.com → github.com; `https://host/api/v3` → `https://host`. */
function webUrlOf(apiUrl: string): string {
  try {
    const u = new URL(apiUrl);
    if (u.hostname === 'api.github.com') return 'https://github.com';
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
  } catch {
    return 'https://github.com';
  }
}

/** The environment cache of a sandbox host (environment-cache.ts). */
export interface EnvCacheSettings {
  /** DRYDOCK_ENV_CACHE_DIR (default <DRYDOCK_DATA_DIR>/env-cache). */
  dir: string;
  /** DRYDOCK_ENV_CACHE_HOURS (default 12): how long an entry is used. */
  hours: number;
  /** DRYDOCK_ENV_CACHE_BYTES (default 20g; 0 or off: no cache): the host's size cap. */
  bytes: number;
}

/** DRYDOCK_ENV_CACHE_DIR, DRYDOCK_ENV_CACHE_HOURS and DRYDOCK_ENV_CACHE_BYTES. */
export function readEnvCacheSettings(get: EnvGetter, dataDir: string, problems: string[]): EnvCacheSettings {
  const dir = get('DRYDOCK_ENV_CACHE_DIR') ?? `${dataDir.replace(/\/+$/, '')}/env-cache`;
  if (!dir.startsWith('/')) problems.push(`DRYDOCK_ENV_CACHE_DIR must be an absolute path, got ${JSON.stringify(dir)}`);
  const rawHours = get('DRYDOCK_ENV_CACHE_HOURS');
  const hours = rawHours === undefined ? 12 : Number(rawHours);
  if (rawHours !== undefined && (!/^\d+(\.\d+)?$/.test(rawHours) || !(hours > 0) || hours > 24 * 365))
    problems.push(
      `DRYDOCK_ENV_CACHE_HOURS must be a number of hours above 0 (e.g. 12 or 0.5), got ${JSON.stringify(rawHours)}`,
    );
  const rawBytes = get('DRYDOCK_ENV_CACHE_BYTES');
  const bytes = rawBytes === undefined ? 20 * 1024 ** 3 : /^(off|none|0)$/i.test(rawBytes) ? 0 : parseBytes(rawBytes);
  if (bytes === undefined)
    problems.push(`DRYDOCK_ENV_CACHE_BYTES must be a size (e.g. 20g, 500m) or off, got ${JSON.stringify(rawBytes)}`);
  return { dir, hours: hours > 0 ? hours : 12, bytes: bytes ?? 0 };
}
