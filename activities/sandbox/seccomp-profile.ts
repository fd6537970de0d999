/**
 * drydock's own seccomp profile: the Docker engine's default profile (moby's
 * profiles/seccomp/default.json, fetched by scripts/setup from the Go module
 * proxy, never committed here) with `socket` allowed only for the address
 * families a sandbox uses, and the calls it never needs removed. Every
 * sandbox and service container runs under it.
 *
 * Why an allow-list of families rather than "anything but AF_VSOCK": seccomp
 * compares all 64 bits of an argument while the kernel reads the family as a
 * 32-bit int, so `socket(0x1_0000_0028, …)` passes a `family != 40` rule and
 * still opens an AF_VSOCK socket (tried on this engine). libseccomp refuses a
 * second, overlapping rule for the same call, and two comparisons of one
 * argument in one rule are not both applied, so the exact families are
 * matched on their low 32 bits instead. These are the families gVisor offers
 * too; the rest (vsock, AF_ALG, AF_TIPC, AF_RDS, AF_CAN, …) are kernel attack
 * surface that no build or test needs, and fail with EPERM.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The moby module whose default profile drydock starts from: the engine Debian 12 ships (docker.io 20.10.24), which setup installs. */
export const MOBY_MODULE = 'github.com/docker/docker';
/** Its version on the Go module proxy. */
export const MOBY_VERSION = 'v20.10.24+incompatible';
/** The profile's path inside the module. */
export const MOBY_PROFILE_PATH = 'profiles/seccomp/default.json';

/** Address families a sandbox may open sockets of: AF_UNIX, AF_INET, AF_INET6, AF_NETLINK. */
export const ALLOWED_SOCKET_FAMILIES = [1, 2, 10, 16] as const;
/** AF_VSOCK: the hypervisor's socket space on a VM host. */
export const AF_VSOCK = 40;

/** The transform as data; its hash names the cached profile, so a changed transform needs a new one. */
export const SECCOMP_TRANSFORM = {
  /**
   * Removed from every rule: socket (re-added per family below), socketcall (the
   * 32-bit x86 multiplexer, whose arguments sit in memory a filter cannot read)
   * and io_uring (a large kernel surface Docker's own default dropped in 25.0;
   * libuv and others fall back to threads).
   */
  removed: ['socket', 'socketcall', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'],
  /** socket(family, …) allowed only for these families, compared on the low 32 bits. */
  added: ALLOWED_SOCKET_FAMILIES.map((family) => ({
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: 0xffffffff, valueTwo: family, op: 'SCMP_CMP_MASKED_EQ' }],
    comment: 'drydock: socket only for AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (never AF_VSOCK)',
  })),
};

/** One rule of a profile, as the engine reads it. */
export interface SeccompRule {
  names?: string[];
  name?: string;
  action: string;
  args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
  includes?: Record<string, unknown>;
  excludes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A seccomp profile in the engine's JSON format. */
export interface SeccompProfile {
  defaultAction: string;
  syscalls: SeccompRule[];
  [key: string]: unknown;
}

/** Thrown when a sandbox worker has no usable seccomp profile. */
export class SeccompProfileMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeccompProfileMissingError';
  }
}

/** First 12 hex digits of the transform's sha256. */
export function transformHash(): string {
  return createHash('sha256').update(JSON.stringify(SECCOMP_TRANSFORM)).digest('hex').slice(0, 12);
}

/** drydock's cache folder (the one scripts/lib/common.sh uses). */
export function drydockCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DRYDOCK_CACHE_DIR) return env.DRYDOCK_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'drydock');
}

/** Where scripts/setup writes the profile: keyed by the moby version and the transform's hash. */
export function cachedSeccompProfilePath(env: NodeJS.ProcessEnv = process.env): string {
  const version = MOBY_VERSION.replace(/^v/, '').replace(/\+incompatible$/, '');
  return path.join(drydockCacheDir(env), `seccomp-moby-${version}-${transformHash()}.json`);
}

/** The profile file a worker uses: DRYDOCK_SECCOMP_PROFILE, else setup's cached one. */
export function seccompProfilePath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.DRYDOCK_SECCOMP_PROFILE?.trim();
  return override ? override : cachedSeccompProfilePath(env);
}

/** moby's default profile made drydock's: the removed calls gone, socket allowed per family. */
export function transformSeccompProfile(moby: SeccompProfile): SeccompProfile {
  const removed = new Set<string>(SECCOMP_TRANSFORM.removed);
  const syscalls = moby.syscalls
    .map((rule) => ({ ...rule, names: (rule.names ?? (rule.name ? [rule.name] : [])).filter((n) => !removed.has(n)) }))
    .filter((rule) => rule.names.length > 0)
    .map(({ name: _name, ...rule }) => rule);
  return {
    ...moby,
    syscalls: [
      ...syscalls,
      ...SECCOMP_TRANSFORM.added.map((r) => ({ ...r, names: [...r.names], args: r.args.map((a) => ({ ...a })) })),
    ],
  };
}

/** What `socket(family)` gets under a profile on x86-64 (no capabilities): true when allowed. */
export function allowsSocketFamily(profile: SeccompProfile, family: number): boolean {
  // The profile's default action is an error: only an ALLOW rule naming socket lets a call through.
  return profile.syscalls.some((rule) => {
    if (!(rule.names ?? [rule.name]).includes('socket') || rule.action !== 'SCMP_ACT_ALLOW') return false;
    if (rule.includes && Object.keys(rule.includes).length > 0) return false;
    const args = rule.args ?? [];
    return args.every((a) => a.index !== 0 || matches(a, family));
  });
}

function matches(arg: { value: number; valueTwo?: number; op: string }, family: number): boolean {
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      return family === arg.value;
    case 'SCMP_CMP_NE':
      return family !== arg.value;
    case 'SCMP_CMP_MASKED_EQ':
      return (family & arg.value) === (arg.valueTwo ?? 0);
    default:
      // An unknown comparison may let anything through: count it as allowing.
      return true;
  }
}

/** Problems that make a profile unfit for sandboxes (an empty list: fit). */
export function checkSeccompProfile(profile: SeccompProfile): string[] {
  const problems: string[] = [];
  if (typeof profile.defaultAction !== 'string' || !Array.isArray(profile.syscalls))
    return ['not a seccomp profile (no defaultAction and syscalls)'];
  if (profile.defaultAction === 'SCMP_ACT_ALLOW') problems.push('its default action allows every call');
  if (allowsSocketFamily(profile, AF_VSOCK)) problems.push('socket(AF_VSOCK) is allowed');
  // The high-bits form of AF_VSOCK: the kernel truncates the family to 32 bits.
  const unconditional = profile.syscalls.some(
    (r) =>
      (r.names ?? [r.name]).includes('socket') &&
      r.action === 'SCMP_ACT_ALLOW' &&
      (r.args ?? []).some((a) => a.index === 0 && a.op === 'SCMP_CMP_NE'),
  );
  if (unconditional) problems.push('socket is allowed by a family != rule, which 0x100000028 passes');
  for (const family of ALLOWED_SOCKET_FAMILIES)
    if (!allowsSocketFamily(profile, family)) problems.push(`socket(${family}) is not allowed`);
  return problems;
}

const loaded = new Map<string, string>();

/**
 * The profile's JSON text for HostConfig.SecurityOpt (`seccomp=<text>`), read
 * once per path. Throws SeccompProfileMissingError (one line naming
 * scripts/setup) when the file is missing or unfit.
 */
export function loadSeccompProfile(file: string = seccompProfilePath()): string {
  const known = loaded.get(file);
  if (known !== undefined) return known;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new SeccompProfileMissingError(
      `no seccomp profile for sandboxes at ${file}: run scripts/setup (npm run setup) to generate it, or set DRYDOCK_SECCOMP_PROFILE to a profile file`,
    );
  }
  let problems: string[];
  try {
    problems = checkSeccompProfile(JSON.parse(text) as SeccompProfile);
  } catch {
    problems = ['it is not valid JSON'];
  }
  if (problems.length > 0) {
    throw new SeccompProfileMissingError(
      `the seccomp profile ${file} is unfit for sandboxes (${problems.join('; ')}): run scripts/setup to generate drydock's, or fix DRYDOCK_SECCOMP_PROFILE`,
    );
  }
  // Compact: the text travels in every container create request.
  const compact = JSON.stringify(JSON.parse(text));
  loaded.set(file, compact);
  return compact;
}

/** The `seccomp=` option of a container under this profile. */
export function seccompSecurityOpt(profileText: string): string {
  return `seccomp=${profileText}`;
}
