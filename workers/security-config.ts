/**
 * The operator's security settings from the environment: sandbox limits and
 * runtime (never loosened by a goal), the setup secrets a sandbox worker
 * resolves by name, and the payload encryption key.
 */
import { SETUP_SECRET_PREFIX } from '../activities/security/redact';
import {
  DEFAULT_SANDBOX_DISK_BYTES,
  envGetter,
  parseBytes,
  readPayloadKey,
  readSandboxDisk,
  readSeccompProfilePath,
} from '../activities/shared/env-settings';
import {
  IMAGE_NAME,
  RUNTIME_NAME,
  SANDBOX_POLICY_BOUNDS as BOUNDS,
  type SandboxPolicyOptions,
} from '../activities/sandbox/sandbox-policy';

/** What the operator sets for every sandbox and payload (the sandbox settings become a SandboxPolicy: sandboxPolicyOptions). */
export interface SecurityConfig {
  /** DRYDOCK_SANDBOX_MEMORY (bytes; `512m`, `2g` accepted): memory and swap limit of a sandbox. */
  sandboxMemoryBytes?: number;
  /** DRYDOCK_SANDBOX_CPUS: CPUs of a sandbox (fractions allowed). */
  sandboxCpus?: number;
  /** DRYDOCK_SANDBOX_PIDS: most processes in a sandbox. */
  sandboxPidsLimit?: number;
  /** DRYDOCK_SANDBOX_RUNTIME: an OCI runtime the engine lists (e.g. `runsc`); the engine's default when absent. */
  sandboxRuntime?: string;
  /** DRYDOCK_SANDBOX_DISK (bytes; default 10g; `off`: none): the fixed size of a sandbox's /workspace + /home/drydock disk. */
  sandboxDiskBytes: number | null;
  /** DRYDOCK_SECCOMP_PROFILE: a seccomp profile file to use instead of the one scripts/setup makes. */
  seccompProfilePath?: string;
  /** DRYDOCK_SERVICE_IMAGES (comma-separated): images service sidecars may run besides the sandbox image. */
  serviceImages: string[];
  /** DRYDOCK_SETUP_SECRET_<NAME>: secrets a setup script may ask for by NAME. */
  setupSecrets: Record<string, string>;
  /** DRYDOCK_PAYLOAD_KEY: base64 of 32 bytes; workflow payloads are AES-GCM encrypted when set. */
  payloadKey?: string;
  /** DRYDOCK_MAX_CLONE_BYTES: most bytes a repository's files may add up to at the goal's base commit (default 2g). */
  maxCloneBytes?: number;
  /** DRYDOCK_MAX_CHANGE_BYTES: most bytes of new or changed file content one change may hold (default 64m). */
  maxChangeBytes?: number;
}

/** Reads the security settings; appends one message per bad value to problems. */
export function loadSecurityConfig(env: NodeJS.ProcessEnv, problems: string[]): SecurityConfig {
  const get = envGetter(env);
  const config: SecurityConfig = { setupSecrets: {}, sandboxDiskBytes: DEFAULT_SANDBOX_DISK_BYTES, serviceImages: [] };

  const memory = get('DRYDOCK_SANDBOX_MEMORY');
  if (memory !== undefined) {
    const bytes = parseBytes(memory);
    if (bytes === undefined || bytes < BOUNDS.minMemoryBytes)
      problems.push(
        `DRYDOCK_SANDBOX_MEMORY must be a size of at least 64m (e.g. 2g, 512m), got ${JSON.stringify(memory)}`,
      );
    else config.sandboxMemoryBytes = bytes;
  }
  const cpus = get('DRYDOCK_SANDBOX_CPUS');
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!Number.isFinite(n) || n < BOUNDS.minCpus || n > BOUNDS.maxCpus)
      problems.push(`DRYDOCK_SANDBOX_CPUS must be a number between 0.1 and 256, got ${JSON.stringify(cpus)}`);
    else config.sandboxCpus = n;
  }
  const pids = get('DRYDOCK_SANDBOX_PIDS');
  if (pids !== undefined) {
    const n = Number(pids);
    if (!Number.isInteger(n) || n < BOUNDS.minPidsLimit || n > BOUNDS.maxPidsLimit)
      problems.push(`DRYDOCK_SANDBOX_PIDS must be a whole number between 16 and 1000000, got ${JSON.stringify(pids)}`);
    else config.sandboxPidsLimit = n;
  }
  const runtime = get('DRYDOCK_SANDBOX_RUNTIME');
  if (runtime !== undefined) {
    if (!RUNTIME_NAME.test(runtime))
      problems.push(`DRYDOCK_SANDBOX_RUNTIME must be a runtime name such as runsc, got ${JSON.stringify(runtime)}`);
    else config.sandboxRuntime = runtime;
  }
  config.sandboxDiskBytes = readSandboxDisk(get, problems);
  const seccomp = readSeccompProfilePath(get, problems);
  if (seccomp !== undefined) config.seccompProfilePath = seccomp;
  for (const image of (get('DRYDOCK_SERVICE_IMAGES') ?? '')
    .split(',')
    .map((i) => i.trim())
    .filter(Boolean)) {
    if (!IMAGE_NAME.test(image)) problems.push(`DRYDOCK_SERVICE_IMAGES: ${JSON.stringify(image)} is not an image name`);
    else config.serviceImages.push(image);
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(SETUP_SECRET_PREFIX) || value === undefined || value === '') continue;
    const secretName = name.slice(SETUP_SECRET_PREFIX.length);
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(secretName))
      problems.push(`${name}: a setup secret's name must be upper-case letters, digits and _`);
    else config.setupSecrets[secretName] = value;
  }
  const payloadKey = readPayloadKey(get, problems);
  if (payloadKey !== undefined) config.payloadKey = payloadKey;
  for (const [name, key, min] of [
    ['DRYDOCK_MAX_CLONE_BYTES', 'maxCloneBytes', 1024 ** 2],
    ['DRYDOCK_MAX_CHANGE_BYTES', 'maxChangeBytes', 64 * 1024],
  ] as const) {
    const value = get(name);
    if (value === undefined) continue;
    const bytes = parseBytes(value);
    if (bytes === undefined || bytes < min)
      problems.push(`${name} must be a size of at least ${min / 1024}k (e.g. 64m, 2g), got ${JSON.stringify(value)}`);
    else config[key] = bytes;
  }
  return config;
}

/** The operator's sandbox settings as the options of a sandbox policy (activities/sandbox/sandbox-policy.ts). */
export function sandboxPolicyOptions(security: SecurityConfig, commandRunner: boolean): SandboxPolicyOptions {
  return {
    memoryBytes: security.sandboxMemoryBytes,
    cpus: security.sandboxCpus,
    pidsLimit: security.sandboxPidsLimit,
    runtime: security.sandboxRuntime,
    diskBytes: security.sandboxDiskBytes,
    serviceImages: security.serviceImages,
    commandRunner,
  };
}
