/**
 * Where and how drydock reaches Temporal, read the way Temporal apps read it
 * (@temporalio/envconfig): a `temporal.toml` profile (TEMPORAL_PROFILE,
 * TEMPORAL_CONFIG_FILE), then TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY and the TEMPORAL_TLS* variables over it, then the caller's
 * own options (the CLI's flags) over both. The one reader of these variables
 * for the workers, the CLI, the bench and the tests.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import {
  loadClientConfig,
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import { envGetter, type EnvGetter } from './env-settings';

/** What a caller sets over the environment and the profile (e.g. the CLI's --address, --namespace, --profile). */
export interface TemporalConnectionOptions {
  /** host:port; over TEMPORAL_ADDRESS and the profile's address. */
  address?: string;
  /** Over TEMPORAL_NAMESPACE and the profile's namespace. */
  namespace?: string;
  /** A profile of the config file; over TEMPORAL_PROFILE. */
  profile?: string;
  /** The config file; over TEMPORAL_CONFIG_FILE. */
  configFile?: string;
}

/** TLS settings in the form both SDK connections take. */
export interface TemporalTlsOptions {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** What Connection.connect (clients) and NativeConnection.connect (workers) both take. */
export interface TemporalConnectOptions {
  address: string;
  tls?: TemporalTlsOptions | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** How the connection is secured: plain, TLS, or TLS with a client certificate. */
export type TemporalTlsMode = 'off' | 'tls' | 'mtls';

/** Where and how drydock reaches Temporal, resolved. */
export interface TemporalConnectionConfig {
  /** host:port (default localhost:7233). */
  address: string;
  /** The namespace (default `default`). */
  namespace: string;
  /** The profile used, when one of the config file applied. */
  profile?: string;
  /** The config file read, when one was. */
  configFile?: string;
  /** Off, TLS, or mutual TLS (a client certificate). */
  tls: TemporalTlsMode;
  /** Whether an API key is sent (the key itself is only in connectOptions). */
  hasApiKey: boolean;
  /** Options for Connection.connect and NativeConnection.connect. */
  connectOptions: TemporalConnectOptions;
}

const DEFAULT_ADDRESS = 'localhost:7233';

/** The variables envconfig reads, each with what it names in the profile (for messages). */
const TLS_SOURCES = [
  { field: 'clientCert', variable: 'TEMPORAL_TLS_CLIENT_CERT', key: 'client_cert', pem: 'CERTIFICATE' },
  { field: 'clientKey', variable: 'TEMPORAL_TLS_CLIENT_KEY', key: 'client_key', pem: 'PRIVATE KEY' },
  { field: 'serverCACert', variable: 'TEMPORAL_TLS_SERVER_CA_CERT', key: 'server_ca_cert', pem: 'CERTIFICATE' },
] as const;

/** Reads the connection settings; appends one clear problem per bad value (unknown profile, bad certificate…). */
export function readTemporalConnection(
  environment: NodeJS.ProcessEnv,
  problems: string[],
  options: TemporalConnectionOptions = {},
): TemporalConnectionConfig {
  // drydock's convention: a blank variable counts as unset; the caller's options go over the environment.
  const get = envGetter(environment);
  const env: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = get(name);
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(environment)) {
    if (name.startsWith('TEMPORAL_GRPC_META_') && value !== undefined) env[name] = value;
  }
  if (options.address !== undefined) env.TEMPORAL_ADDRESS = options.address;
  if (options.namespace !== undefined) env.TEMPORAL_NAMESPACE = options.namespace;
  if (options.profile !== undefined) env.TEMPORAL_PROFILE = options.profile;
  if (options.configFile !== undefined) env.TEMPORAL_CONFIG_FILE = options.configFile;

  const { file, profileName, data } = readConfigFile(env, get, problems);
  let profile: ClientConfigProfile = {};
  try {
    profile = loadClientConfigProfile({
      ...(profileName !== undefined && data !== undefined
        ? { configSource: { data }, profile: profileName }
        : { disableFile: true }),
      overrideEnvVars: env,
    });
  } catch (err) {
    problems.push(`${file ?? 'the Temporal config'}: ${firstLine(err)}`);
  }
  const where = (key: string) =>
    profileName !== undefined ? `${key} of profile "${profileName}" in ${file}` : `TEMPORAL_${key.toUpperCase()}`;

  const address = profile.address ?? DEFAULT_ADDRESS;
  const addressName = env.TEMPORAL_ADDRESS !== undefined ? 'TEMPORAL_ADDRESS' : where('address');
  if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(address)) {
    problems.push(`${addressName} must be host:port, got ${JSON.stringify(address)}`);
  } else {
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) problems.push(`${addressName} port must be 1-65535, got ${port}`);
  }
  const namespace = profile.namespace ?? 'default';
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(namespace)) {
    const name = env.TEMPORAL_NAMESPACE !== undefined ? 'TEMPORAL_NAMESPACE' : where('namespace');
    problems.push(`${name} ${JSON.stringify(namespace)} is not a valid namespace name`);
  }

  const tlsOk = checkTlsSources(profile, env, where, problems);
  let connectOptions: TemporalConnectOptions = { address };
  if (tlsOk) {
    try {
      const sdk = toClientOptions(profile).connectionOptions;
      connectOptions = {
        address,
        ...(sdk.apiKey !== undefined ? { apiKey: sdk.apiKey as string } : {}),
        ...(profile.grpcMeta ? { metadata: profile.grpcMeta } : {}),
        ...(sdk.tls !== undefined ? { tls: tlsWithBuffers(sdk.tls) } : {}),
      };
    } catch (err) {
      problems.push(`TLS settings: ${firstLine(err)}`);
    }
  }
  const tls = connectOptions.tls;
  return {
    address,
    namespace,
    ...(profileName !== undefined ? { profile: profileName } : {}),
    ...(file !== undefined && data !== undefined ? { configFile: file } : {}),
    tls: !tls ? 'off' : typeof tls === 'object' && tls.clientCertPair ? 'mtls' : 'tls',
    hasApiKey: connectOptions.apiKey !== undefined,
    connectOptions,
  };
}

/** One line that says how the connection is made: profile, TLS, API key (never the key). */
export function describeTemporalConnection(config: TemporalConnectionConfig): string {
  const profile = config.profile !== undefined ? `profile ${config.profile} (${config.configFile})` : 'no profile';
  const tls = { off: 'TLS off', tls: 'TLS on', mtls: 'mTLS (client certificate)' }[config.tls];
  return `namespace ${config.namespace}; ${profile}; ${tls}${config.hasApiKey ? '; API key set' : ''}`;
}

/** The variables envconfig reads (TEMPORAL_GRPC_META_* besides). */
const ENV_NAMES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'HOME',
  'XDG_CONFIG_HOME',
];

/** The config file (TEMPORAL_CONFIG_FILE, else the user's temporalio/temporal.toml) and the profile that applies. */
function readConfigFile(
  env: Record<string, string>,
  get: EnvGetter,
  problems: string[],
): { file?: string; profileName?: string; data?: string } {
  const explicit = env.TEMPORAL_CONFIG_FILE;
  const file = explicit ?? defaultConfigFile(env);
  const requested = env.TEMPORAL_PROFILE;
  let data: string | undefined;
  if (file !== undefined && existsSync(file)) {
    try {
      data = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`cannot read the Temporal config file ${file}: ${firstLine(err)}`);
      return { file };
    }
  } else if (explicit !== undefined) {
    problems.push(`TEMPORAL_CONFIG_FILE ${explicit} does not exist`);
    return { file };
  }
  if (data === undefined) {
    if (requested !== undefined)
      problems.push(`TEMPORAL_PROFILE "${requested}": there is no Temporal config file (looked for ${file ?? 'none'})`);
    return { file };
  }
  let names: string[];
  try {
    names = Object.keys(loadClientConfig({ configSource: { data } }).profiles ?? {});
  } catch (err) {
    problems.push(`the Temporal config file ${file} is not valid TOML: ${firstLine(err)}`);
    return { file };
  }
  if (requested !== undefined && !names.includes(requested)) {
    const where = get('TEMPORAL_PROFILE') === requested ? 'TEMPORAL_PROFILE' : 'profile';
    problems.push(
      `${where} "${requested}" is not in ${file} (profiles there: ${names.length > 0 ? names.join(', ') : 'none'})`,
    );
    return { file, data };
  }
  const profileName = requested ?? (names.includes('default') ? 'default' : undefined);
  return { file, data, ...(profileName !== undefined ? { profileName } : {}) };
}

/** Where envconfig looks when TEMPORAL_CONFIG_FILE is unset: $XDG_CONFIG_HOME (or $HOME/.config)/temporalio/temporal.toml. */
function defaultConfigFile(env: Record<string, string>): string | undefined {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined) return path.isAbsolute(xdg) ? path.join(xdg, 'temporalio', 'temporal.toml') : undefined;
  return env.HOME !== undefined ? path.join(env.HOME, '.config', 'temporalio', 'temporal.toml') : undefined;
}

/** Checks each certificate and key: present, readable, PEM of the right kind, a certificate with its key. */
function checkTlsSources(
  profile: ClientConfigProfile,
  env: Record<string, string>,
  where: (key: string) => string,
  problems: string[],
): boolean {
  const tls = profile.tls;
  if (!tls || tls.disabled) return true;
  const before = problems.length;
  for (const s of TLS_SOURCES) {
    const source: ConfigDataSource | undefined = tls[s.field];
    if (!source) continue;
    const isPath = 'path' in source;
    const variable = `${s.variable}_${isPath ? 'PATH' : 'DATA'}`;
    const name = env[variable] !== undefined ? variable : where(`tls.${s.key}_${isPath ? 'path' : 'data'}`);
    let text: string;
    if ('path' in source) {
      try {
        text = readFileSync(source.path, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problems.push(
          `${name}: cannot read ${source.path} (${code === 'ENOENT' ? 'no such file' : (code ?? firstLine(err))})`,
        );
        continue;
      }
    } else {
      text = typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8');
    }
    if (!new RegExp(`-----BEGIN [A-Z ]*${s.pem}-----`).test(text)) {
      problems.push(`${name}${isPath ? ` (${source.path})` : ''} is not a PEM ${s.pem.toLowerCase()}`);
    }
  }
  if (tls.clientCert && !tls.clientKey)
    problems.push(
      'a TLS client certificate is set without its key (TEMPORAL_TLS_CLIENT_KEY_PATH or tls.client_key_path)',
    );
  if (tls.clientKey && !tls.clientCert)
    problems.push(
      'a TLS client key is set without its certificate (TEMPORAL_TLS_CLIENT_CERT_PATH or tls.client_cert_path)',
    );
  return problems.length === before;
}

/** envconfig's TLS settings (Uint8Array) as Buffers, which both SDK connections accept. */
function tlsWithBuffers(tls: unknown): TemporalTlsOptions | boolean {
  if (typeof tls === 'boolean') return tls;
  const t = tls as {
    serverNameOverride?: string;
    serverRootCACertificate?: Uint8Array;
    clientCertPair?: { crt: Uint8Array; key: Uint8Array };
  };
  return {
    ...(t.serverNameOverride !== undefined ? { serverNameOverride: t.serverNameOverride } : {}),
    ...(t.serverRootCACertificate ? { serverRootCACertificate: Buffer.from(t.serverRootCACertificate) } : {}),
    ...(t.clientCertPair
      ? { clientCertPair: { crt: Buffer.from(t.clientCertPair.crt), key: Buffer.from(t.clientCertPair.key) } }
      : {}),
  };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
