/**
 * The reaper: removes this host's goal containers whose workflow has closed
 * (left by a worker, a Docker host or a network that died before teardown, or
 * by a sandbox that was replaced while its host was away). Runs in the sandbox
 * worker at start and then periodically. Warm pool containers are the pool's.
 */
import type Dockerode from 'dockerode';
import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../store/artifact-store';
import { sandboxRecordKey } from './activities';
import { MANAGED_LABEL } from './docker-sandbox';
import { POOL_NAME_PREFIX } from './sandbox-pool';

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

  /** Removes this host's containers whose goal workflow is closed; returns their names. */
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
        await this.o.docker.getContainer(c.Id).remove({ force: true, v: true });
        removed.push(name);
      } catch {
        // already gone, or a removal in progress
      }
    }
    return removed;
  }

  private async recordedGoal(name: string): Promise<string | undefined> {
    try {
      return (JSON.parse((await this.o.store.get(sandboxRecordKey(name))).toString('utf8')) as { goalId?: string }).goalId;
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
