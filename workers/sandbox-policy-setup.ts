/**
 * The sandbox worker's policy, resolved once at start from its operator's
 * configuration and what the host offers: the engine's runtimes, drydock's
 * seccomp profile, and the fixed-size disks where they work. Sandboxes, the
 * warm pool and services all get this one value.
 */
import Dockerode from 'dockerode';
import { loadSeccompProfile, seccompProfilePath } from '../activities/sandbox/seccomp-profile';
import { DEFAULT_IMAGE_ROOT, probeSandboxDisks, SandboxDisks } from '../activities/sandbox/sandbox-disk';
import { isLocalDockerEngine } from '../activities/sandbox/docker-engine';
import {
  resolveSandboxPolicy,
  sandboxPolicyProblems,
  SandboxPolicyError,
  type SandboxHostFacts,
  type SandboxPolicy,
} from '../activities/sandbox/sandbox-policy';
import type { DrydockConfig } from './config';
import { sandboxPolicyOptions } from './security-config';

/** A sandbox worker's policy and the disks it names (none where the host cannot make them). */
export interface ResolvedSandboxPolicy {
  policy: SandboxPolicy;
  disks?: SandboxDisks;
}

/**
 * The operator's sandbox policy on this host. A bad setting, a runtime the engine does not
 * list, or no seccomp profile stops the worker with one line per problem; disks that cannot
 * work here are said once in the log, and the policy then has none.
 */
export async function sandboxPolicyFor(
  config: DrydockConfig,
  docker: Dockerode,
  warn: (message: string) => void = (m) => console.warn(m),
): Promise<ResolvedSandboxPolicy> {
  const options = sandboxPolicyOptions(config.security, config.commandRunner);
  const facts = await sandboxHostFacts(config, docker);
  // Every setting is checked before the disk probe (which makes a trial disk): a bad one stops the worker at once.
  const problems = sandboxPolicyProblems(options, facts);
  if (problems.length > 0) throw new SandboxPolicyError(problems);
  const disks = await sandboxDisksFor(config, warn);
  return { policy: resolveSandboxPolicy({ ...options, diskBytes: disks?.sizeBytes ?? null }, facts), disks };
}

/** The engine's runtimes (looked up only when the operator names one) and drydock's seccomp profile. */
async function sandboxHostFacts(config: DrydockConfig, docker: Dockerode): Promise<SandboxHostFacts> {
  let runtimes: string[] | undefined;
  if (config.security.sandboxRuntime) {
    const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
    runtimes = Object.keys(info.Runtimes ?? {});
  }
  // Without drydock's seccomp profile no sandbox starts: the worker refuses here, in one line.
  const file = config.security.seccompProfilePath ?? seccompProfilePath();
  return { seccompProfile: { path: file, text: loadSeccompProfile(file) }, ...(runtimes ? { runtimes } : {}) };
}

/**
 * This host's fixed-size sandbox disks (DRYDOCK_SANDBOX_DISK, under /var/lib/drydock/sandbox-disks),
 * or undefined, said once in the log, where they cannot work: the workspace is then not size-limited.
 */
export async function sandboxDisksFor(
  config: DrydockConfig,
  warn: (message: string) => void = (m) => console.warn(m),
): Promise<SandboxDisks | undefined> {
  const sizeBytes = config.security.sandboxDiskBytes;
  if (sizeBytes === null) {
    warn('drydock: sandbox workspaces are not size-limited (DRYDOCK_SANDBOX_DISK=off)');
    return undefined;
  }
  const root = sandboxDisksRoot(config);
  const support = await probeSandboxDisks(root, { local: isLocalEngine(config) });
  if (!support.ok) {
    warn(`drydock: sandbox workspaces are not size-limited: ${support.reason}`);
    return undefined;
  }
  return new SandboxDisks({ root, sizeBytes });
}

/** Where this host's sandbox disk images live: host state shared by its sandbox workers, not in DRYDOCK_DATA_DIR. */
export function sandboxDisksRoot(_config: DrydockConfig): string {
  return DEFAULT_IMAGE_ROOT;
}

/** True when the engine runs on this machine (its local socket), so that it sees what this process mounts. */
export function isLocalEngine(config: DrydockConfig): boolean {
  return isLocalDockerEngine(config.dockerHost);
}
