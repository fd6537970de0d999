/**
 * A warm pool of sandbox containers: K containers per image, created and started
 * ahead of time with exactly the options of a cold sandbox, so provisioning only
 * renames one to the goal's deterministic name. A container leaves the pool once
 * and never comes back: the goal's teardown removes it.
 */
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { removeSandboxContainer } from './docker-sandbox';
import { createToolchainView, removeToolchainView, toolchainRoot } from './toolchain-mounts';
import { MANAGED_LABEL, sandboxContainerOptions } from './container-options';
import type { SandboxDisks } from './sandbox-disk';
import type { SandboxSpec } from './sandbox';
import { assertDisksFit, defaultSandboxPolicy, sameContainerPolicy, type SandboxPolicy } from './sandbox-policy';

/** Label of a pooled container: the host whose pool made it. */
export const POOL_LABEL = 'drydock.pool';
/** Label of a pooled container: epoch seconds after which an idle one is replaced. */
export const POOL_EXPIRES_LABEL = 'drydock.pool.expires';
/** Name prefix of a container still in a pool; a taken one carries the goal's name. */
export const POOL_NAME_PREFIX = 'drydock-pool-';

/** What callers pass to SandboxPool. */
export interface SandboxPoolOptions {
  docker: Dockerode;
  image: string;
  /** This worker's host id (a label, so that a sweep finds only this host's orphans). */
  host: string;
  /** Containers kept ready; 0 turns the pool off. */
  size: number;
  /** Seconds an idle container is kept before it is replaced by a fresh one. */
  idleSeconds: number;
  /** Milliseconds between a take and the refill, so the refill does not compete with the goal's copy. */
  refillDelayMs?: number;
  /** The operator's sandbox policy, the one cold sandboxes get; drydock's defaults (with the size of `disks`) when absent. */
  policy?: SandboxPolicy;
  /** Fixed-size workspace disks of the policy's size, the same as cold sandboxes get: each pooled container gets its own when created. */
  disks?: SandboxDisks;
  /** More labels of each pooled container (a warm environment's key). */
  labels?: Record<string, string>;
  /** Run on each container once it is started, before it is ready (a warm environment's restore); a failure removes it. */
  prepare?: (containerId: string) => Promise<void>;
  /** Told why a container could not be made ready (each distinct reason once), so that a pool that never fills is not silent. */
  warn?: (message: string) => void;
}

interface Pooled {
  id: string;
  name: string;
  createdAt: number;
}

/** Seconds past its expiry after which any worker may remove an orphaned pool container. */
const ORPHAN_GRACE_SECONDS = 60;

/** Keeps `size` started containers ready for the pool's image. */
export class SandboxPool {
  private readonly ready: Pooled[] = [];
  private creating = 0;
  private closed = false;
  /** The last reason a container could not be made ready (warned once). */
  private lastFailure?: string;
  private refillTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly policy: SandboxPolicy;

  constructor(private readonly options: SandboxPoolOptions) {
    this.policy = options.policy ?? defaultSandboxPolicy({ diskBytes: options.disks?.sizeBytes ?? null });
    assertDisksFit(this.policy, options.disks);
  }

  /** Containers ready to be taken. */
  get size(): number {
    return this.ready.length;
  }

  /** Removes this host's orphaned pool containers, then fills the pool in the background. */
  async start(): Promise<void> {
    if (this.options.size <= 0) return;
    // A failed sweep must not keep the worker from starting; the next start sweeps again.
    await this.sweepOrphans().catch(() => undefined);
    this.fill();
    const everyMs = Math.max(1000, Math.min(30_000, (this.options.idleSeconds * 1000) / 2));
    this.expiryTimer = setInterval(() => this.replaceExpired(), everyMs);
    this.expiryTimer.unref();
  }

  /**
   * Takes a ready container for this spec and renames it to spec.name. Undefined when
   * the pool is empty, the spec or policy asks for a container other than the pool makes,
   * or the name is taken already (the caller then finds the container that holds it).
   */
  async take(spec: SandboxSpec, policy: SandboxPolicy): Promise<string | undefined> {
    if (!this.fits(spec, policy)) return undefined;
    for (;;) {
      const pooled = this.ready.shift();
      if (!pooled) {
        this.scheduleRefill();
        return undefined;
      }
      try {
        await this.options.docker.getContainer(pooled.id).rename({ name: spec.name });
      } catch (err) {
        const status = statusOf(err);
        if (status === 409) {
          // The name is taken (another attempt of the same activity won): keep ours for the next goal.
          this.ready.unshift(pooled);
          return undefined;
        }
        if (status !== 404) void this.remove(pooled.id);
        continue;
      }
      this.scheduleRefill();
      return pooled.id;
    }
  }

  /** Stops refilling and removes every container still in the pool. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.refillTimer) clearTimeout(this.refillTimer);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(this.ready.splice(0).map((p) => this.remove(p.id)));
  }

  /** A pooled container is a cold one of the pool's image under the pool's policy. */
  private fits(spec: SandboxSpec, policy: SandboxPolicy): boolean {
    return this.options.size > 0 && spec.image === this.options.image && sameContainerPolicy(policy, this.policy);
  }

  private scheduleRefill(): void {
    if (this.closed || this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, this.options.refillDelayMs ?? 500);
  }

  /** Starts creations until ready + creating reaches the size; one at a time, to leave CPU to goals. */
  private fill(): void {
    if (this.closed || this.creating > 0 || this.ready.length >= this.options.size) return;
    this.creating++;
    const job = this.createOne()
      .then((pooled) => {
        if (this.closed) return this.remove(pooled.id);
        this.ready.push(pooled);
      })
      .catch((err: unknown) => {
        // The engine refused (image gone, out of space): try again later rather than spin.
        const reason = err instanceof Error ? err.message : String(err);
        if (!this.closed && reason !== this.lastFailure)
          this.options.warn?.(
            `drydock: a pool container of host ${this.options.host} could not be made ready: ${reason}`,
          );
        this.lastFailure = reason;
        if (!this.closed) this.scheduleRefill();
      })
      .finally(() => {
        this.creating--;
        this.inFlight.delete(job);
        this.fill();
      });
    this.inFlight.add(job);
  }

  private async createOne(): Promise<Pooled> {
    const name = `${POOL_NAME_PREFIX}${this.options.host}-${randomBytes(5).toString('hex')}`;
    const createdAt = Date.now();
    const expires = Math.floor(createdAt / 1000) + this.options.idleSeconds;
    const disk = await this.options.disks?.create();
    const view = await createToolchainView(toolchainRoot());
    let container: Dockerode.Container;
    try {
      container = await this.options.docker.createContainer(
        sandboxContainerOptions(
          {
            name,
            image: this.options.image,
            labels: {
              [POOL_LABEL]: this.options.host,
              [POOL_EXPIRES_LABEL]: String(expires),
              'drydock.host': this.options.host,
              ...this.options.labels,
            },
          },
          this.policy,
          disk,
          view,
        ),
      );
    } catch (err) {
      if (disk) await this.options.disks?.release(disk.id).catch(() => undefined);
      await removeToolchainView(view).catch(() => undefined);
      throw err;
    }
    try {
      await container.start();
      await this.options.prepare?.(container.id);
    } catch (err) {
      await this.remove(container.id);
      throw err;
    }
    return { id: container.id, name, createdAt };
  }

  /** Replaces containers that have been idle longer than idleSeconds. */
  private replaceExpired(): void {
    const limit = Date.now() - this.options.idleSeconds * 1000;
    for (let i = this.ready.length - 1; i >= 0; i--) {
      const pooled = this.ready[i]!;
      if (pooled.createdAt <= limit) {
        this.ready.splice(i, 1);
        void this.remove(pooled.id);
      }
    }
    this.fill();
  }

  /**
   * Removes pool containers of this host that nobody took and whose expiry passed
   * long ago: left by a worker that died. A live pool replaces its own before then.
   */
  private async sweepOrphans(): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const list = await this.options.docker.listContainers({
      all: true,
      filters: { label: [`${POOL_LABEL}=${this.options.host}`, `${MANAGED_LABEL}=true`] },
    });
    await Promise.allSettled(
      list
        .filter((c) => (c.Names[0] ?? '').replace(/^\//, '').startsWith(POOL_NAME_PREFIX))
        .filter((c) => Number(c.Labels[POOL_EXPIRES_LABEL] ?? 0) + ORPHAN_GRACE_SECONDS < now)
        .map((c) => this.remove(c.Id)),
    );
  }

  private async remove(id: string): Promise<void> {
    // Its disk goes with it; already gone, or a removal in progress, is fine.
    await removeSandboxContainer(this.options.docker, id, this.options.disks).catch(() => undefined);
  }
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
