/**
 * What the `drydock` command reads from the environment: where and how
 * Temporal answers (a temporal.toml profile, TLS, API key), the payload key,
 * the links it prints. The flags go over the environment through
 * TemporalConnectionOptions. A client reads no worker
 * secret (model keys, code-host tokens, setup secrets); `drydock doctor`
 * also reads what it checks on this machine (doctorConfig).
 */
import {
  ConfigError,
  envGetter,
  readDefaultModel,
  readDockerHost,
  readGitHubUrls,
  readOpenAiBaseUrl,
  readPayloadKey,
  readSandboxDisk,
  readSeccompProfilePath,
  readTemporalUiUrl,
} from '../activities/shared/env-settings';
import {
  readTemporalConnection,
  type TemporalConnectionConfig,
  type TemporalConnectionOptions,
} from '../activities/shared/temporal-connection';

export type { TemporalConnectionOptions } from '../activities/shared/temporal-connection';

/** The client's configuration. */
export interface ClientConfig {
  /** The resolved address: TEMPORAL_ADDRESS or the profile's (default localhost:7233). */
  temporalAddress: string;
  /** The resolved namespace: TEMPORAL_NAMESPACE or the profile's (default `default`). */
  namespace: string;
  /** How to connect: temporal.toml profile, TLS, API key (activities/shared/temporal-connection.ts). */
  temporal: TemporalConnectionConfig;
  /** DRYDOCK_UI_URL: the Temporal UI, for links. */
  temporalUiUrl: string;
  /** DRYDOCK_PAYLOAD_KEY: payloads are AES-GCM encrypted when set (the workers hold the same key). */
  payloadKey?: string;
  /** Where GitHub repositories live (GITHUB_API_URL / DRYDOCK_GITHUB_WEB_URL): `--issue` and `revise` name one. */
  githubWebUrl: string;
}

/** What `drydock doctor` checks on this machine besides Temporal. */
export interface DoctorConfig extends ClientConfig {
  /** DOCKER_HOST, when set. */
  dockerHost?: string;
  /** DRYDOCK_SANDBOX_IMAGE, when set (else the image setup built). */
  sandboxImage?: string;
  /** DRYDOCK_SECCOMP_PROFILE, when set (else the profile setup made). */
  seccompProfilePath?: string;
  /** DRYDOCK_SANDBOX_DISK in bytes; null when off. */
  sandboxDiskBytes: number | null;
  /** Whether OPENAI_API_KEY is set (its value is not read further). */
  hasOpenAiApiKey: boolean;
  openaiBaseUrl?: string;
  /** DRYDOCK_MODEL. */
  defaultModel: string;
}

/** Reads and validates the client's configuration; throws ConfigError listing every bad value. */
export function loadClientConfig(
  env: NodeJS.ProcessEnv = process.env,
  connection: TemporalConnectionOptions = {},
): ClientConfig {
  const problems: string[] = [];
  const config = readClientConfig(env, problems, connection);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Reads and validates what `drydock doctor` needs; throws ConfigError listing every bad value. */
export function loadDoctorConfig(
  env: NodeJS.ProcessEnv = process.env,
  connection: TemporalConnectionOptions = {},
): DoctorConfig {
  const problems: string[] = [];
  const get = envGetter(env);
  const client = readClientConfig(env, problems, connection);
  const config: DoctorConfig = {
    ...client,
    dockerHost: readDockerHost(get, problems),
    sandboxImage: get('DRYDOCK_SANDBOX_IMAGE'),
    seccompProfilePath: readSeccompProfilePath(get, problems),
    sandboxDiskBytes: readSandboxDisk(get, problems),
    hasOpenAiApiKey: get('OPENAI_API_KEY') !== undefined,
    openaiBaseUrl: readOpenAiBaseUrl(get, problems),
    defaultModel: readDefaultModel(get),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readClientConfig(
  env: NodeJS.ProcessEnv,
  problems: string[],
  connection: TemporalConnectionOptions,
): ClientConfig {
  const get = envGetter(env);
  const temporal = readTemporalConnection(env, problems, connection);
  return {
    temporalAddress: temporal.address,
    namespace: temporal.namespace,
    temporal,
    temporalUiUrl: readTemporalUiUrl(get, problems),
    payloadKey: readPayloadKey(get, problems),
    githubWebUrl: readGitHubUrls(get, problems).webUrl,
  };
}
