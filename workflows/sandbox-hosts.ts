/**
 * sandboxHosts: what `drydock hosts` runs. Lists the sandbox hosts as their
 * workers report them (sandboxes running, capacity, drained, engine health) and
 * drains or undrains one. The reports and the drain marks live in the artifact
 * store every worker shares (workers/host-registry.ts); the agent worker reads
 * and writes them.
 */
import { proxyActivities } from '@temporalio/workflow';

/** What a sandbox host's worker reports about itself every few seconds. */
export interface SandboxHostReport {
  /** DRYDOCK_HOST_ID. */
  host: string;
  /** The worker process that writes the report: `pid@hostname#instance`. */
  identity: string;
  /** Sandboxes running on the host's engine (and provisions under way). */
  running: number;
  /** DRYDOCK_SANDBOX_CAPACITY; null: no limit. */
  capacity: number | null;
  /** Drained: takes no new sandbox (`drydock hosts drain`). */
  drained: boolean;
  /** `ok`, or why the host's Docker engine does not answer. */
  engine: string;
  /** When the worker wrote it (epoch ms). */
  updatedAt: number;
  /** The worker stopped on purpose (its last report). */
  stopped?: boolean;
  /** The environments cached on the host (usable with its current image), for placement (absent in older reports). */
  environments?: AdvertisedEnvironment[];
}

/** One cached environment as a host's report names it. */
export interface AdvertisedEnvironment {
  /** The entry's placement key (environment-cache-key.ts placementKey). */
  key: string;
  repository: string;
  bytes: number;
  /** When its setup ran (epoch ms). */
  createdAt: number;
}

/** Where a goal's cached environment is: the host to provision on (none: the shared queue), and the holders passed over. */
export interface EnvironmentPlacement {
  /** A live host that holds the environment, is not drained and has room. */
  host?: string;
  /** When the chosen host's entry was made (epoch ms). */
  createdAt?: number;
  /** Hosts that hold the environment but were not usable, with why. */
  passedOver: PassedOverHost[];
}

/** A host that holds a goal's cached environment and was passed over. */
export interface PassedOverHost {
  host: string;
  /** `drained`, `full (3/3)`, `silent for 14 s`, `stopped`, `engine down: …`, or why it did not take the sandbox. */
  reason: string;
}

/** One row of `drydock hosts`. */
export interface SandboxHostRow extends SandboxHostReport {
  /** Seconds since the report was written. */
  ageSeconds: number;
  /** `up`, `engine down: …`, `stopped` or `silent` (no report for a while: the worker is gone). */
  health: string;
}

/** Input of sandboxHosts: nothing to list, or a host to drain (drained: true) or undrain. */
export interface SandboxHostsInput {
  drain?: { host: string; drained: boolean };
}

/** What sandboxHosts answers: every host that ever reported; `unknownHost` when the host to drain is not one. */
export interface SandboxHostsResult {
  hosts: SandboxHostRow[];
  unknownHost?: string;
}

/** The agent worker's activities behind sandboxHosts. */
export interface SandboxHostActivities {
  /** Every host's last report, with its age and health. */
  listSandboxHosts(): Promise<SandboxHostRow[]>;
  /** Marks a host drained (or not); its worker reads the mark within seconds. */
  setSandboxHostDrain(input: { host: string; drained: boolean }): Promise<void>;
}

const registry = proxyActivities<SandboxHostActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
});

/** Lists the sandbox hosts; drains or undrains one first when asked. */
export async function sandboxHosts(input: SandboxHostsInput = {}): Promise<SandboxHostsResult> {
  if (input.drain) {
    const before = await registry.listSandboxHosts();
    if (!before.some((h) => h.host === input.drain?.host)) return { hosts: before, unknownHost: input.drain.host };
    await registry.setSandboxHostDrain(input.drain);
  }
  return { hosts: await registry.listSandboxHosts() };
}
