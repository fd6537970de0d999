/**
 * Where a sandbox policy is enforced: the engine's container options for a
 * goal's sandbox (cold or warm) and for its service sidecars, all from one
 * SandboxPolicy. Every container is hardened the same way (all capabilities
 * dropped, no-new-privileges, drydock's seccomp profile, a read-only root,
 * uid 1000, an init) and limited by the policy alone.
 */
import Dockerode from 'dockerode';
import type { SandboxPolicyView, WritablePathView } from '../../workflows/types';
import { WORKSPACE, type SandboxSpec } from './sandbox';
import { defaultSandboxPolicy, SANDBOX_HOME, type SandboxPolicy, sandboxPolicyView } from './sandbox-policy';
import { loadSeccompProfile, seccompSecurityOpt } from './seccomp-profile';
import { DISK_BYTES_LABEL, DISK_LABEL, type SandboxDisk } from './sandbox-disk';
import { mountableRunnerBinary, RUNNER_PATH_IN_SANDBOX } from './runner-binary';
import { SANDBOX_PATH, TOOLCHAIN_VIEW_LABEL, toolchainMounts, type ToolchainView } from './toolchain-mounts';

/** The uid:gid every sandbox process runs as (the image's `drydock` user). */
export const SANDBOX_USER = '1000:1000';
/** The sandbox user's uid and gid, apart. */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;

/** Label set on every container drydock creates; the reaper looks for it. */
export const MANAGED_LABEL = 'drydock.managed';

/** Label of a warm environment's container: the cache key of the environment put into it before a goal took it. */
export const WARM_ENVIRONMENT_LABEL = 'drydock.environment';
/** Label of a sandbox container: the JSON of the policy it was created under. */
export const POLICY_LABEL = 'drydock.policy';

/** What a container is for: a goal's sandbox (on its disk and with its toolchain view, when it has them), or a service on its network. */
export type ContainerUse =
  { kind: 'sandbox'; disk?: SandboxDisk; toolchains?: ToolchainView } | { kind: 'service'; network: string };

/** The engine's HostConfig of a container under the policy: the one place a limit, a mount or a network mode is decided. */
export function hostConfigFor(policy: SandboxPolicy, use: ContainerUse): Dockerode.HostConfig {
  const writable = use.kind === 'sandbox' ? policy.writable : policy.serviceWritable;
  return {
    NetworkMode: use.kind === 'sandbox' ? policy.network.agent : use.network,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges', seccompSecurityOpt(loadSeccompProfile(policy.seccompProfilePath))],
    ReadonlyRootfs: true,
    Mounts: [
      ...writableMounts(writable, use.kind === 'sandbox' ? use.disk : undefined),
      ...(use.kind === 'sandbox' ? runnerMount() : []),
      ...(use.kind === 'sandbox' ? toolchainMounts(use.toolchains) : []),
    ],
    // tmpfs is memory: it counts against the memory limit.
    Tmpfs: Object.fromEntries(writable.filter((w) => w.storage === 'tmpfs').map((w) => [w.path, tmpfsOptions(w)])),
    PidsLimit: policy.pidsLimit,
    Memory: policy.memoryBytes,
    MemorySwap: policy.memoryBytes + policy.swapBytes,
    NanoCpus: Math.round(policy.cpus * 1e9),
    ...(policy.runtime ? { Runtime: policy.runtime } : {}),
    // An init as PID 1 reaps the zombies that exec'd commands leave behind.
    Init: true,
  };
}

/**
 * The container a spec describes under the policy: hardened, limited, and with nothing from
 * the host but the runner binary and the toolchain cache and view (read-only) and its own fixed-size disk.
 */
export function sandboxContainerOptions(
  spec: SandboxSpec,
  policy: SandboxPolicy = defaultSandboxPolicy(),
  disk?: SandboxDisk,
  toolchains?: ToolchainView,
): Dockerode.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: ['sleep', 'infinity'],
    User: SANDBOX_USER,
    WorkingDir: WORKSPACE,
    // The Node a goal asks for (toolchain-mounts.ts) comes first on PATH; the image's while none is selected.
    Env: [`HOME=${SANDBOX_HOME}`, `PATH=${SANDBOX_PATH}`],
    Labels: {
      ...spec.labels,
      [MANAGED_LABEL]: 'true',
      [POLICY_LABEL]: JSON.stringify(sandboxPolicyView(policy)),
      ...(disk ? { [DISK_LABEL]: disk.id, [DISK_BYTES_LABEL]: String(disk.sizeBytes) } : {}),
      ...(toolchains ? { [TOOLCHAIN_VIEW_LABEL]: toolchains.id } : {}),
    },
    HostConfig: hostConfigFor(policy, { kind: 'sandbox', disk, toolchains }),
  };
}

/** The policy a container was created under, from its labels; undefined when it carries none (made before policies) or an unreadable one. */
export function policyOfContainer(labels: Record<string, string> | undefined): SandboxPolicyView | undefined {
  const text = labels?.[POLICY_LABEL];
  if (!text) return undefined;
  try {
    const view = JSON.parse(text) as SandboxPolicyView;
    return typeof view === 'object' &&
      view !== null &&
      typeof view.memoryBytes === 'number' &&
      Array.isArray(view.writable)
      ? view
      : undefined;
  } catch {
    return undefined;
  }
}

/** Mounts of the writable paths that are not tmpfs: binds from the sandbox's disk, or an anonymous volume. */
function writableMounts(writable: WritablePathView[], disk: SandboxDisk | undefined): Dockerode.MountSettings[] {
  return writable
    .filter((w) => w.storage !== 'tmpfs')
    .map((w): Dockerode.MountSettings => {
      // Without a Source the volume is anonymous, so `remove({ v: true })` deletes it.
      if (w.storage === 'volume') return { Type: 'volume', Source: '', Target: w.path };
      const source = disk && (w.path === WORKSPACE ? disk.workspace : w.path === SANDBOX_HOME ? disk.home : undefined);
      if (!source)
        throw new Error(
          `the sandbox policy puts ${w.path} on the sandbox's disk, but the container has no disk for it`,
        );
      return { Type: 'bind', Source: source, Target: w.path };
    });
}

/** The engine's tmpfs options of a writable path: owned by the sandbox user, /tmp sticky and world-writable. */
function tmpfsOptions(w: WritablePathView): string {
  const mode = w.path === '/tmp' ? '1777' : '0755';
  return `rw,exec,nosuid,nodev,uid=${SANDBOX_UID},gid=${SANDBOX_GID},mode=${mode}${w.sizeBytes === null ? '' : `,size=${sizeOption(w.sizeBytes)}`}`;
}

/** 1073741824 → `1g`, 268435456 → `256m`: the tmpfs size option. */
function sizeOption(bytes: number): string {
  for (const [unit, factor] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** The host's runner binary, read-only where CommandRunner starts it; none when this host has none to mount. */
function runnerMount(): Dockerode.MountSettings[] {
  const binary = mountableRunnerBinary();
  return binary.path ? [{ Type: 'bind', Source: binary.path, Target: RUNNER_PATH_IN_SANDBOX, ReadOnly: true }] : [];
}
