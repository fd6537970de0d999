/**
 * The sandbox policy: everything that decides what a goal's container may do
 * (network per phase, memory, swap, CPUs, processes, disk, runtime, writable
 * paths, seccomp profile, service images, command runner) as one plain value,
 * resolved once from the operator's configuration when the sandbox worker
 * starts. container-options.ts turns it into the engine's HostConfig for
 * sandboxes, pool containers and services alike; nothing else decides a limit.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { SandboxPolicyView, WritablePathView } from '../../workflows/types';
import { loadSeccompProfile, seccompProfilePath } from './seccomp-profile';
import { WORKSPACE } from './sandbox';
import type { SandboxDisks } from './sandbox-disk';

/** The sandbox user's home folder. */
export const SANDBOX_HOME = '/home/drydock';

/** What a sandbox gets where the operator sets nothing. */
export const SANDBOX_POLICY_DEFAULTS = {
  memoryBytes: 2 * 1024 ** 3,
  cpus: 2,
  pidsLimit: 512,
  /** /tmp: a tmpfs of this size (memory, counted against the memory limit). */
  tmpBytes: 1024 ** 3,
  /** $HOME of a service sidecar: a tmpfs of this size. */
  homeTmpfsBytes: 256 * 1024 ** 2,
} as const;

/** The values an operator may set, inclusive; security-config.ts checks the environment against the same bounds. */
export const SANDBOX_POLICY_BOUNDS = {
  minMemoryBytes: 64 * 1024 ** 2,
  minCpus: 0.1,
  maxCpus: 256,
  minPidsLimit: 16,
  maxPidsLimit: 1_000_000,
  minDiskBytes: 256 * 1024 ** 2,
} as const;

/** An OCI runtime's name (e.g. runsc). */
export const RUNTIME_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** A local image's name, with tag or digest. */
export const IMAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

/** The resolved policy: its plain view plus what only this worker needs (the profile's file, where services may write). */
export interface SandboxPolicy extends SandboxPolicyView {
  /** The profile file (read once; its JSON text goes into every container create request). */
  seccompProfilePath: string;
  /** Where a service sidecar may write: memory only. */
  serviceWritable: WritablePathView[];
}

/** What the operator sets (DRYDOCK_SANDBOX_*, DRYDOCK_SERVICE_IMAGES, DRYDOCK_SANDBOX_RUNNER); defaults for the rest. */
export interface SandboxPolicyOptions {
  memoryBytes?: number;
  cpus?: number;
  pidsLimit?: number;
  /** An OCI runtime the engine lists; the engine's default when absent. */
  runtime?: string;
  /** The size of the disk this host gives each sandbox (/workspace and $HOME); null or absent: none. */
  diskBytes?: number | null;
  /** Images services may run besides the sandbox image. */
  serviceImages?: string[];
  /** Commands through the command runner; default true. */
  commandRunner?: boolean;
}

/** What the host says, looked up once at start: the seccomp profile, and the runtimes the engine lists. */
export interface SandboxHostFacts {
  /** drydock's seccomp profile as loadSeccompProfile read it. */
  seccompProfile: { path: string; text: string };
  /** The engine's runtimes; absent: not looked up (then any runtime name is taken as given). */
  runtimes?: string[];
}

/** Thrown when the operator's sandbox settings cannot make a policy; one problem per bad value. */
export class SandboxPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'SandboxPolicyError';
  }
}

/** The operator's settings over the defaults, checked against the host; throws SandboxPolicyError naming every bad value. */
export function resolveSandboxPolicy(options: SandboxPolicyOptions, facts: SandboxHostFacts): SandboxPolicy {
  const problems = sandboxPolicyProblems(options, facts);
  if (problems.length > 0) throw new SandboxPolicyError(problems);
  const diskBytes = options.diskBytes ?? null;
  const tmp: WritablePathView = { path: '/tmp', storage: 'tmpfs', sizeBytes: SANDBOX_POLICY_DEFAULTS.tmpBytes };
  const homeTmpfs: WritablePathView = {
    path: SANDBOX_HOME,
    storage: 'tmpfs',
    sizeBytes: SANDBOX_POLICY_DEFAULTS.homeTmpfsBytes,
  };
  return {
    network: { agent: 'none', setup: 'bridge-without-host', services: 'internal' },
    memoryBytes: options.memoryBytes ?? SANDBOX_POLICY_DEFAULTS.memoryBytes,
    swapBytes: 0,
    cpus: options.cpus ?? SANDBOX_POLICY_DEFAULTS.cpus,
    pidsLimit: options.pidsLimit ?? SANDBOX_POLICY_DEFAULTS.pidsLimit,
    diskBytes,
    runtime: options.runtime ?? null,
    writable:
      diskBytes === null
        ? // No disk: home (package caches) on a volume beside the workspace, not in memory.
          [
            { path: WORKSPACE, storage: 'volume', sizeBytes: null },
            { path: SANDBOX_HOME, storage: 'volume', sizeBytes: null },
            tmp,
          ]
        : [
            { path: WORKSPACE, storage: 'disk', sizeBytes: diskBytes },
            { path: SANDBOX_HOME, storage: 'disk', sizeBytes: diskBytes },
            tmp,
          ],
    seccompProfile: seccompProfileId(facts.seccompProfile.path, facts.seccompProfile.text),
    seccompProfilePath: facts.seccompProfile.path,
    services: { images: [...(options.serviceImages ?? [])] },
    serviceWritable: [tmp, homeTmpfs],
    commandRunner: options.commandRunner ?? true,
  };
}

/** One message per value of the options that no policy may hold (an empty list: all fit). */
export function sandboxPolicyProblems(options: SandboxPolicyOptions, facts: SandboxHostFacts): string[] {
  const b = SANDBOX_POLICY_BOUNDS;
  const problems: string[] = [];
  const { memoryBytes, cpus, pidsLimit, runtime, diskBytes } = options;
  if (memoryBytes !== undefined && !(Number.isInteger(memoryBytes) && memoryBytes >= b.minMemoryBytes)) {
    problems.push(
      `sandbox memory (DRYDOCK_SANDBOX_MEMORY) must be a whole number of bytes of at least 64 MiB, got ${memoryBytes}`,
    );
  }
  if (cpus !== undefined && !(Number.isFinite(cpus) && cpus >= b.minCpus && cpus <= b.maxCpus)) {
    problems.push(`sandbox CPUs (DRYDOCK_SANDBOX_CPUS) must be between ${b.minCpus} and ${b.maxCpus}, got ${cpus}`);
  }
  if (
    pidsLimit !== undefined &&
    !(Number.isInteger(pidsLimit) && pidsLimit >= b.minPidsLimit && pidsLimit <= b.maxPidsLimit)
  ) {
    problems.push(
      `sandbox processes (DRYDOCK_SANDBOX_PIDS) must be a whole number between ${b.minPidsLimit} and ${b.maxPidsLimit}, got ${pidsLimit}`,
    );
  }
  if (diskBytes !== undefined && diskBytes !== null && !(Number.isInteger(diskBytes) && diskBytes >= b.minDiskBytes)) {
    problems.push(
      `sandbox disk (DRYDOCK_SANDBOX_DISK) must be a whole number of bytes of at least 256 MiB, or none, got ${diskBytes}`,
    );
  }
  if (runtime !== undefined) {
    if (!RUNTIME_NAME.test(runtime))
      problems.push(`DRYDOCK_SANDBOX_RUNTIME must be a runtime name such as runsc, got ${JSON.stringify(runtime)}`);
    else if (facts.runtimes && !facts.runtimes.includes(runtime)) {
      problems.push(
        `DRYDOCK_SANDBOX_RUNTIME=${runtime}, but the Docker engine lists only: ${facts.runtimes.join(', ') || 'none'}`,
      );
    }
  }
  for (const image of options.serviceImages ?? []) {
    if (!IMAGE_NAME.test(image)) problems.push(`DRYDOCK_SERVICE_IMAGES: ${JSON.stringify(image)} is not an image name`);
  }
  if (facts.seccompProfile.text.trim() === '')
    problems.push(`the seccomp profile ${facts.seccompProfile.path} is empty`);
  return problems;
}

/**
 * The policy drydock's defaults give (with setup's seccomp profile, or
 * DRYDOCK_SECCOMP_PROFILE's): for a DockerSandbox, pool or services made
 * without one (tests, embedding programs). Throws when there is no profile.
 */
export function defaultSandboxPolicy(options: SandboxPolicyOptions = {}): SandboxPolicy {
  const file = seccompProfilePath();
  return resolveSandboxPolicy(options, { seccompProfile: { path: file, text: loadSeccompProfile(file) } });
}

/** The policy's plain view, as goals carry it (no host paths; small, since it rides on every SandboxRef). */
export function sandboxPolicyView(policy: SandboxPolicy): SandboxPolicyView {
  const { seccompProfilePath: _path, serviceWritable: _serviceWritable, ...view } = policy;
  return view;
}

/**
 * True when containers made under the two policies are the same (everything
 * but how commands reach them and what services may run): a warm container
 * made under one serves a sandbox under the other.
 */
export function sameContainerPolicy(a: SandboxPolicy, b: SandboxPolicy): boolean {
  const key = ({ commandRunner: _r, services: _s, serviceWritable: _w, ...container }: SandboxPolicy) =>
    JSON.stringify(container);
  return key(a) === key(b);
}

/** A seccomp profile's id: its file name without `.json`, `@sha256:` and the first 12 hex digits of its text's hash. */
export function seccompProfileId(file: string, text: string): string {
  return `${path.basename(file, '.json')}@sha256:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/** Throws unless the disks are the policy's: its size, and there when it names one. */
export function assertDisksFit(policy: SandboxPolicy, disks: SandboxDisks | undefined): void {
  const size = disks?.sizeBytes ?? null;
  if (size !== policy.diskBytes) {
    throw new Error(
      `the sandbox policy's disk is ${policy.diskBytes ?? 'none'} bytes, but the sandbox disks given are ${size ?? 'none'}`,
    );
  }
}
