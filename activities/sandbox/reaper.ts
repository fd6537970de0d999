/**
 * The reaper: removes this host's goal containers whose workflow has closed
 * (left by a worker, a Docker host or a network that died before teardown, or
 * by a sandbox that was replaced while its host was away). Runs in the sandbox
 * worker at start and then periodically. Warm pool containers are the pool's.
 * It also releases the fixed-size disks (sandbox-disk.ts) and the toolchain views
 * (toolchain-mounts.ts) whose container is gone.
 */
import type Dockerode from 'dockerode';
import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../store/artifact-store';
import { sandboxRecordKey } from './names';
import { MANAGED_LABEL, removeSandboxContainer } from './docker-sandbox';
import { DISK_LABEL, type SandboxDisks } from './sandbox-disk';
import { POOL_NAME_PREFIX } from './sandbox-pool';
import { sweepToolchainViews, TOOLCHAIN_VIEW_LABEL, toolchainRoot } from './toolchain-mounts';

/** What callers pass to SandboxReaper. */
export interface SandboxReaperOptions {
  docker: Dockerode;
  /** A client of the namespace the goals run in. */
  client: Client;
  /** This worker's host id: only containers labelled with it are considered. */
  host: string;
  /** Where provisionSandbox recorded the goal of each container (a warm container has no goal label). */
  store: ArtifactStore;
  /** Milliseconds between sweeps; 0: only when asked. */
  everyMs?: number;
  /** This host's sandbox disks: those no container carries are released. */
  disks?: SandboxDisks;
  /** A disk younger than this may still be waiting for its container (default 5 minutes). */
  diskGraceMs?: number;
  /** Removes what else a removed container had on the host (its egress network and proxy), by container name. */
  afterRemove?: (containerName: string) => Promise<void>;
}

/** Periodically removes containers of closed goals. */
export class SandboxReaper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<string[]>;

  constructor(private readonly o: SandboxReaperOptions) {}

  /** Sweeps once now (in the background) and then every `everyMs`. */
  start(): void {
    void this.sweep().catch(() => undefined);
    if (this.o.everyMs && this.o.everyMs > 0) {
      this.timer = setInterval(() => void this.sweep().catch(() => undefined), this.o.everyMs);
      this.timer.unref();
    }
  }

  /** Stops the periodic sweeps and waits for one in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Removes this host's containers whose goal workflow is closed, then disks no container uses; returns the containers' names. */
  sweep(): Promise<string[]> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<string[]> {
    const containers = await this.o.docker.listContainers({
      all: true,
      filters: { label: [`${MANAGED_LABEL}=true`, `drydock.host=${this.o.host}`] },
    });
    const removed: string[] = [];
    for (const c of containers) {
      const name = (c.Names[0] ?? '').replace(/^\//, '');
      if (name.startsWith(POOL_NAME_PREFIX)) continue;
      const goalId = c.Labels['drydock.goal'] ?? (await this.recordedGoal(name));
      if (!goalId || !(await this.isClosed(goalId))) continue;
      try {
        await removeSandboxContainer(this.o.docker, c.Id, this.o.disks);
        removed.push(name);
        await this.o.afterRemove?.(name);
      } catch {
        // a removal that failed is tried again at the next sweep
      }
    }
    if (this.o.disks) await this.sweepDisks(this.o.disks);
    await this.sweepViews();
    return removed;
  }

  /** Releases this host's disks that no container (running or not) carries. */
  private async sweepDisks(disks: SandboxDisks): Promise<void> {
    const carried = await this.o.docker.listContainers({ all: true, filters: { label: [DISK_LABEL] } });
    const inUse = new Set(carried.map((c) => c.Labels[DISK_LABEL]).filter((id): id is string => Boolean(id)));
    await disks.sweep(inUse, this.o.diskGraceMs);
  }

  /** Removes this host's toolchain views that no container (running or not) carries. */
  private async sweepViews(): Promise<void> {
    const carried = await this.o.docker.listContainers({ all: true, filters: { label: [TOOLCHAIN_VIEW_LABEL] } });
    const inUse = new Set(carried.map((c) => c.Labels[TOOLCHAIN_VIEW_LABEL]).filter((id): id is string => Boolean(id)));
    await sweepToolchainViews(toolchainRoot(), inUse, this.o.diskGraceMs);
  }

  private async recordedGoal(name: string): Promise<string | undefined> {
    try {
      return (JSON.parse((await this.o.store.get(sandboxRecordKey(name))).toString('utf8')) as { goalId?: string })
        .goalId;
    } catch {
      return undefined;
    }
  }

  /** True only when the server says the workflow is closed; an unknown workflow (another server's goal) is left alone. */
  private async isClosed(goalId: string): Promise<boolean> {
    try {
      const d = await this.o.client.workflow.getHandle(goalId).describe();
      return d.status.name !== 'RUNNING';
    } catch {
      return false;
    }
  }
}
