/**
 * The operator's security settings from the environment: sandbox limits and
 * runtime (never loosened by a goal), the setup secrets a sandbox worker
 * resolves by name, and the payload encryption key.
 */
import { SETUP_SECRET_PREFIX } from '../activities/security/redact';

/** What the operator sets for every sandbox and payload. */
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
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const config: SecurityConfig = { setupSecrets: {}, sandboxDiskBytes: DEFAULT_SANDBOX_DISK_BYTES, serviceImages: [] };

  const memory = get('DRYDOCK_SANDBOX_MEMORY');
  if (memory !== undefined) {
    const bytes = parseBytes(memory);
    if (bytes === undefined || bytes < 64 * 1024 ** 2) problems.push(`DRYDOCK_SANDBOX_MEMORY must be a size of at least 64m (e.g. 2g, 512m), got ${JSON.stringify(memory)}`);
    else config.sandboxMemoryBytes = bytes;
  }
  const cpus = get('DRYDOCK_SANDBOX_CPUS');
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!Number.isFinite(n) || n < 0.1 || n > 256) problems.push(`DRYDOCK_SANDBOX_CPUS must be a number between 0.1 and 256, got ${JSON.stringify(cpus)}`);
    else config.sandboxCpus = n;
  }
  const pids = get('DRYDOCK_SANDBOX_PIDS');
  if (pids !== undefined) {
    const n = Number(pids);
    if (!Number.isInteger(n) || n < 16 || n > 1_000_000) problems.push(`DRYDOCK_SANDBOX_PIDS must be a whole number between 16 and 1000000, got ${JSON.stringify(pids)}`);
    else config.sandboxPidsLimit = n;
  }
  const runtime = get('DRYDOCK_SANDBOX_RUNTIME');
  if (runtime !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(runtime)) problems.push(`DRYDOCK_SANDBOX_RUNTIME must be a runtime name such as runsc, got ${JSON.stringify(runtime)}`);
    else config.sandboxRuntime = runtime;
  }
  const disk = get('DRYDOCK_SANDBOX_DISK');
  if (disk !== undefined) {
    const bytes = /^(off|none|0)$/i.test(disk) ? null : parseBytes(disk);
    if (bytes === undefined || (bytes !== null && bytes < MIN_SANDBOX_DISK_BYTES)) {
      problems.push(`DRYDOCK_SANDBOX_DISK must be a size of at least 256m (e.g. 10g) or off, got ${JSON.stringify(disk)}`);
    } else config.sandboxDiskBytes = bytes;
  }
  const seccomp = get('DRYDOCK_SECCOMP_PROFILE');
  if (seccomp !== undefined) {
    if (!seccomp.startsWith('/')) problems.push(`DRYDOCK_SECCOMP_PROFILE must be an absolute path to a seccomp profile file, got ${JSON.stringify(seccomp)}`);
    else config.seccompProfilePath = seccomp;
  }
  for (const image of (get('DRYDOCK_SERVICE_IMAGES') ?? '').split(',').map((i) => i.trim()).filter(Boolean)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(image)) problems.push(`DRYDOCK_SERVICE_IMAGES: ${JSON.stringify(image)} is not an image name`);
    else config.serviceImages.push(image);
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(SETUP_SECRET_PREFIX) || value === undefined || value === '') continue;
    const secretName = name.slice(SETUP_SECRET_PREFIX.length);
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(secretName)) problems.push(`${name}: a setup secret's name must be upper-case letters, digits and _`);
    else config.setupSecrets[secretName] = value;
  }
  const payloadKey = get('DRYDOCK_PAYLOAD_KEY');
  if (payloadKey !== undefined) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(payloadKey) || Buffer.from(payloadKey, 'base64').length !== 32) {
      problems.push('DRYDOCK_PAYLOAD_KEY must be the base64 of 32 random bytes (make one with: openssl rand -base64 32)');
    } else config.payloadKey = payloadKey;
  }
  for (const [name, key, min] of [
    ['DRYDOCK_MAX_CLONE_BYTES', 'maxCloneBytes', 1024 ** 2],
    ['DRYDOCK_MAX_CHANGE_BYTES', 'maxChangeBytes', 64 * 1024],
  ] as const) {
    const value = get(name);
    if (value === undefined) continue;
    const bytes = parseBytes(value);
    if (bytes === undefined || bytes < min) problems.push(`${name} must be a size of at least ${min / 1024}k (e.g. 64m, 2g), got ${JSON.stringify(value)}`);
    else config[key] = bytes;
  }
  return config;
}

/** The size of a sandbox's disk when DRYDOCK_SANDBOX_DISK is unset. */
export const DEFAULT_SANDBOX_DISK_BYTES = 10 * 1024 ** 3;
/** The smallest DRYDOCK_SANDBOX_DISK accepted. */
const MIN_SANDBOX_DISK_BYTES = 256 * 1024 ** 2;

/** `2g`, `512m`, `1048576` → bytes; undefined when unreadable. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * unit);
}
