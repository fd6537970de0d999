/**
 * Typed worker and client configuration from the environment, validated with
 * a clear message per bad value. Secrets are read here, by name, and never
 * leave the worker.
 */
import * as os from 'os';
import * as path from 'path';
import { loadSecurityConfig, type SecurityConfig } from './security-config';
import { MODEL_BASE_URLS_VARIABLE, canonicalBaseUrl, displayUrl } from '../activities/model/endpoints';
import { MODELS_FILE_VARIABLE, loadModelProfiles, profileKeys, type ModelProfile } from '../activities/model/profiles';
import { MODEL_APIS, type ModelApi } from '../activities/model/create-model-client';
import type { GitHubConfig } from '../activities/codehost/github-config';
import {
  ConfigError,
  envGetter,
  readDefaultModel,
  readDockerHost,
  readGitHubUrls,
  readOpenAiBaseUrl,
  readTemporalUiUrl,
  type EnvGetter,
  readEnvCacheSettings,
  type EnvCacheSettings,
} from '../activities/shared/env-settings';
import { readTemporalConnection, type TemporalConnectionConfig } from '../activities/shared/temporal-connection';
import { readObservabilityConfig, type ObservabilityConfig } from './observability-config';

export { ConfigError } from '../activities/shared/env-settings';

export type { GitHubConfig } from '../activities/codehost/github-config';

/** Everything a worker reads from the environment (the CLI reads its own part: cli/config.ts). */
export interface DrydockConfig {
  /** The resolved address: TEMPORAL_ADDRESS or the temporal.toml profile's (default localhost:7233). */
  temporalAddress: string;
  /** The resolved namespace (default `default`). */
  namespace: string;
  /** How to connect: profile, TLS, API key (activities/shared/temporal-connection.ts). */
  temporal: TemporalConnectionConfig;
  /** Log level and format, the metrics endpoint (observability-config.ts). */
  observability: ObservabilityConfig;
  /** DRYDOCK_DATA_DIR: PR records, artifacts, mirrors, the dev server's SQLite. */
  dataDir: string;
  /** This sandbox host's id; its queue is `drydock-sandbox-<hostId>`. */
  hostId: string;
  /** DOCKER_HOST, when set (dockerode's default otherwise). */
  dockerHost?: string;
  /** DRYDOCK_SANDBOX_IMAGE, when set (else the image setup built). */
  sandboxImage?: string;
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  /** DRYDOCK_MODEL_BASE_URLS: base URLs besides OPENAI_BASE_URL that a goal's model.baseUrl may name (exact; none by default). */
  modelBaseUrls: string[];
  /** DRYDOCK_MODEL: the model goals use when they name none. */
  defaultModel: string;
  /** DRYDOCK_MODELS: the operator's profiles file, when set. */
  modelsFile?: string;
  /** The model profiles goals pick by name: the built-ins with DRYDOCK_MODELS over them. */
  modelProfiles: Map<string, ModelProfile>;
  /** The keys the profiles' key variables hold, by variable (worker-side only; redacted like every secret). */
  modelKeys: Record<string, string>;
  /** DRYDOCK_MODEL_API=chat|responses: the wire format of the worker's model endpoint (chat by default). */
  modelApi: ModelApi;
  /** DRYDOCK_UI_URL: the Temporal UI, for links. */
  temporalUiUrl: string;
  /** GitHub credentials and endpoints (worker-side only; see github-auth.ts). */
  github: GitHubConfig;
  /** Sandbox limits and runtime, setup secrets, payload key (see security-config.ts). */
  security: SecurityConfig;
  /** DRYDOCK_POOL_SIZE: warm sandbox containers a sandbox worker keeps ready (0: none). */
  poolSize: number;
  /** DRYDOCK_WARM_REPOS: repositories (most goals on this host in the last day) kept warm with their cached environment (0: none). */
  warmRepos: number;
  /** DRYDOCK_POOL_IDLE_SECONDS: how long a warm container waits before it is replaced. */
  poolIdleSeconds: number;
  /** DRYDOCK_SANDBOX_CAPACITY: sandboxes this host runs at once at most (null: no limit). */
  sandboxCapacity: number | null;
  /** DRYDOCK_SANDBOX_RUNNER=on|off: commands through a runner kept in each sandbox (on) or one engine exec each (off). */
  commandRunner: boolean;
  /** DRYDOCK_ENV_CACHE_DIR, _HOURS, _BYTES: the sandbox host's environment cache (bytes 0: off). */
  envCache: EnvCacheSettings;
}

/** Reads and validates the configuration; throws ConfigError listing every bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DrydockConfig {
  const problems: string[] = [];
  const get = envGetter(env);

  const temporal = readTemporalConnection(env, problems);
  const observability = readObservabilityConfig(get, problems);

  const rawDataDir = get('DRYDOCK_DATA_DIR') ?? path.join(os.homedir(), '.drydock');
  const dataDir = rawDataDir.startsWith('~/') ? path.join(os.homedir(), rawDataDir.slice(2)) : rawDataDir;
  if (!path.isAbsolute(dataDir))
    problems.push(`DRYDOCK_DATA_DIR must be an absolute path, got ${JSON.stringify(rawDataDir)}`);

  const hostId =
    get('DRYDOCK_HOST_ID') ??
    os
      .hostname()
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 40);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(hostId))
    problems.push(`DRYDOCK_HOST_ID must be lowercase letters, digits and dashes, got ${JSON.stringify(hostId)}`);

  const dockerHost = readDockerHost(get, problems);
  const openaiBaseUrl = readOpenAiBaseUrl(get, problems);
  const modelBaseUrls = parseModelBaseUrls(get(MODEL_BASE_URLS_VARIABLE), problems);
  const temporalUiUrl = readTemporalUiUrl(get, problems);
  const modelsFile = get(MODELS_FILE_VARIABLE);
  const modelProfiles = loadModelProfiles(modelsFile, problems);
  const modelApi = get('DRYDOCK_MODEL_API') ?? 'chat';
  if (!MODEL_APIS.includes(modelApi as ModelApi))
    problems.push(`DRYDOCK_MODEL_API must be one of ${MODEL_APIS.join(', ')}, got ${JSON.stringify(modelApi)}`);

  const github = loadGitHubConfig(get, problems);
  const security = loadSecurityConfig(env, problems);

  const poolSize = integerIn(get('DRYDOCK_POOL_SIZE') ?? '2', 0, 64);
  if (poolSize === undefined)
    problems.push(`DRYDOCK_POOL_SIZE must be an integer from 0 to 64, got ${JSON.stringify(get('DRYDOCK_POOL_SIZE'))}`);
  const commandRunner = get('DRYDOCK_SANDBOX_RUNNER') ?? 'on';
  if (commandRunner !== 'on' && commandRunner !== 'off')
    problems.push(`DRYDOCK_SANDBOX_RUNNER must be on or off, got ${JSON.stringify(commandRunner)}`);
  const warmRepos = integerIn(get('DRYDOCK_WARM_REPOS') ?? '0', 0, 64);
  if (warmRepos === undefined)
    problems.push(
      `DRYDOCK_WARM_REPOS must be an integer from 0 to 64, got ${JSON.stringify(get('DRYDOCK_WARM_REPOS'))}`,
    );
  const poolIdleSeconds = integerIn(get('DRYDOCK_POOL_IDLE_SECONDS') ?? '600', 10, 86_400);
  if (poolIdleSeconds === undefined) {
    problems.push(
      `DRYDOCK_POOL_IDLE_SECONDS must be an integer from 10 to 86400, got ${JSON.stringify(get('DRYDOCK_POOL_IDLE_SECONDS'))}`,
    );
  }

  const rawCapacity = get('DRYDOCK_SANDBOX_CAPACITY');
  const sandboxCapacity = rawCapacity === undefined ? null : integerIn(rawCapacity, 1, 10_000);
  if (sandboxCapacity === undefined)
    problems.push(`DRYDOCK_SANDBOX_CAPACITY must be an integer from 1 to 10000, got ${JSON.stringify(rawCapacity)}`);

  const envCache = readEnvCacheSettings(get, dataDir, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    temporalAddress: temporal.address,
    namespace: temporal.namespace,
    temporal,
    observability,
    dataDir,
    hostId,
    dockerHost,
    sandboxImage: get('DRYDOCK_SANDBOX_IMAGE'),
    openaiApiKey: get('OPENAI_API_KEY'),
    openaiBaseUrl,
    modelBaseUrls,
    defaultModel: readDefaultModel(get),
    modelsFile,
    modelProfiles,
    modelKeys: profileKeys(modelProfiles, get),
    modelApi: modelApi as ModelApi,
    temporalUiUrl,
    github,
    security,
    poolSize: poolSize ?? 0,
    warmRepos: warmRepos ?? 0,
    sandboxCapacity: sandboxCapacity ?? null,
    poolIdleSeconds: poolIdleSeconds ?? 600,
    commandRunner: commandRunner !== 'off',
    envCache,
  };
}

/** The comma-separated base URLs of DRYDOCK_MODEL_BASE_URLS; one problem per entry that is not a plain http(s) URL. */
function parseModelBaseUrls(value: string | undefined, problems: string[]): string[] {
  const urls: string[] = [];
  for (const entry of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push(`${MODEL_BASE_URLS_VARIABLE}: ${displayUrl(entry)} is not an http(s) URL`);
    } else if (url.username || url.password) {
      // The entry itself is not printed: it holds a credential.
      problems.push(
        `${MODEL_BASE_URLS_VARIABLE}: an entry for ${url.host} carries credentials (user:password@); the key comes from OPENAI_API_KEY`,
      );
    } else if (url.search || url.hash) {
      problems.push(`${MODEL_BASE_URLS_VARIABLE}: ${displayUrl(entry)} must not have a query or fragment`);
    } else if (canonicalBaseUrl(entry) !== undefined) {
      urls.push(entry);
    }
  }
  return urls;
}

/** The integer a string holds when it lies in [min, max]; else undefined. */
function integerIn(value: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

/** GitHub's URLs and the worker's GitHub credential (a token, or an App's id and private key). */
function loadGitHubConfig(get: EnvGetter, problems: string[]): GitHubConfig {
  const urls = readGitHubUrls(get, problems);
  const appId = get('GITHUB_APP_ID');
  const appPrivateKey = get('GITHUB_APP_PRIVATE_KEY');
  if (appId && !/^\d+$/.test(appId))
    problems.push(`GITHUB_APP_ID must be the App's numeric id, got ${JSON.stringify(appId)}`);
  if (Boolean(appId) !== Boolean(appPrivateKey))
    problems.push('GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY go together: set both or neither');
  return { token: get('GITHUB_TOKEN'), appId, appPrivateKey, ...urls };
}
