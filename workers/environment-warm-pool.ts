/**
 * Warm environments: for the repositories with the most goals on this host in
 * the last day (DRYDOCK_WARM_REPOS of them; 0, the default, turns this off),
 * one sandbox is kept started with the repository's newest cached environment
 * already put in (restoreSnapshot, as a cache hit does). A goal whose
 * placement key matches takes it at provision; its setup phase then skips the
 * restore, runs maintenance and records the baseline as on any cache hit. The
 * container is made from the snapshot only, by the same pool that makes blank
 * warm containers (sandbox-pool.ts), and leaves the pool once: the goal's
 * teardown removes it.
 */
import type Dockerode from 'dockerode';
import type { ArtifactStore } from '../activities/store/artifact-store';
import { SandboxPool } from '../activities/sandbox/sandbox-pool';
import type { SandboxDisks } from '../activities/sandbox/sandbox-disk';
import type { Sandbox, SandboxSpec } from '../activities/sandbox/sandbox';
import type { SandboxPolicy } from '../activities/sandbox/sandbox-policy';
import { restoreSnapshot } from '../activities/environment/environment-snapshot';
import type { EnvironmentCache, EnvironmentEntry } from '../activities/environment/environment-cache';
import { readTrackedPaths } from '../activities/host/goal-environment';
import { WARM_ENVIRONMENT_LABEL } from '../activities/sandbox/container-options';

const DAY_MS = 24 * 3600_000;

/** Goals that started from or built an entry in the last day. */
export function goalsInLastDay(entry: EnvironmentEntry, now: number): number {
  return (entry.usedAt ?? []).filter((t) => now - t < DAY_MS).length + (now - entry.createdAt < DAY_MS ? 1 : 0);
}

/**
 * The entries to keep warm: per repository its newest entry with a placement
 * key, the `count` repositories with the most goals in the last day first (then
 * the most recently used); repositories without a goal in the last day none.
 */
export function chooseWarmEntries(
  entries: readonly EnvironmentEntry[],
  count: number,
  now: number,
): EnvironmentEntry[] {
  if (count <= 0) return [];
  const byRepo = new Map<string, EnvironmentEntry[]>();
  for (const e of entries) if (e.placementKey) byRepo.set(e.repository, [...(byRepo.get(e.repository) ?? []), e]);
  const ranked = [...byRepo.values()]
    .map((list) => ({
      goals: list.reduce((n, e) => n + goalsInLastDay(e, now), 0),
      lastUsedAt: Math.max(...list.map((e) => e.lastUsedAt)),
      newest: [...list].sort((a, b) => b.createdAt - a.createdAt)[0]!,
    }))
    .filter((r) => r.goals > 0)
    .sort((a, b) => b.goals - a.goals || b.lastUsedAt - a.lastUsedAt || a.newest.key.localeCompare(b.newest.key));
  return ranked.slice(0, count).map((r) => r.newest);
}

/** What callers pass to EnvironmentWarmPool. */
export interface EnvironmentWarmPoolOptions {
  docker: Dockerode;
  sandbox: Sandbox;
  store: ArtifactStore;
  cache: EnvironmentCache;
  image: string;
  host: string;
  /** DRYDOCK_WARM_REPOS: repositories kept warm. */
  count: number;
  /** Seconds a warm container is kept before it is made again (DRYDOCK_POOL_IDLE_SECONDS). */
  idleSeconds: number;
  policy: SandboxPolicy;
  disks?: SandboxDisks;
  /** The worker's log, told when a warm container cannot be made ready. */
  warn?: (message: string) => void;
  /** The id of the host's sandbox image now (an entry made with another one is not kept warm). */
  imageId: () => Promise<string>;
  /** Milliseconds between looks at the cache. */
  everyMs?: number;
}

/** One started container per warm repository, keyed by its entry's placement key. */
export class EnvironmentWarmPool {
  private readonly pools = new Map<string, { entry: EnvironmentEntry; pool: SandboxPool }>();
  private timer?: NodeJS.Timeout;
  private refreshing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: EnvironmentWarmPoolOptions) {}

  /** The placement keys with a warm container being kept. */
  get keys(): string[] {
    return [...this.pools.keys()];
  }

  /** Looks at the cache now and then every few seconds. */
  start(): void {
    if (this.o.count <= 0) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.o.everyMs ?? 10_000);
    this.timer.unref();
  }

  /** Keeps a container for each chosen entry, and drops those of entries no longer chosen (or gone, or replaced). */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing
      .catch(() => undefined)
      .then(async () => {
        if (this.closed) return;
        const now = Date.now();
        const entries = await this.o.cache.list();
        const image = entries.length > 0 ? await this.o.imageId() : '';
        const live = entries.filter((e) => now - e.createdAt <= this.o.cache.maxAgeMs && e.imageId === image);
        const chosen = chooseWarmEntries(live, this.o.count, now);
        const wanted = new Map(chosen.map((e) => [e.placementKey!, e]));
        for (const [key, held] of [...this.pools]) {
          const entry = wanted.get(key);
          if (entry && entry.key === held.entry.key && entry.createdAt === held.entry.createdAt) continue;
          this.pools.delete(key);
          await held.pool.close();
        }
        for (const [key, entry] of wanted) {
          if (this.pools.has(key) || this.closed) continue;
          const pool = this.poolFor(entry);
          this.pools.set(key, { entry, pool });
          await pool.start();
        }
      });
    return this.refreshing;
  }

  /** Takes the warm container of the spec's environment, renamed to spec.name; undefined when there is none ready. */
  async take(spec: SandboxSpec, policy: SandboxPolicy): Promise<string | undefined> {
    const held = spec.environment ? this.pools.get(spec.environment) : undefined;
    return held?.pool.take(spec, policy);
  }

  /** Stops looking and removes every warm container. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.refreshing.catch(() => undefined);
    await Promise.allSettled([...this.pools.values()].map((h) => h.pool.close()));
    this.pools.clear();
  }

  private poolFor(entry: EnvironmentEntry): SandboxPool {
    return new SandboxPool({
      docker: this.o.docker,
      image: this.o.image,
      host: this.o.host,
      size: 1,
      idleSeconds: this.o.idleSeconds,
      policy: this.o.policy,
      disks: this.o.disks,
      labels: { [WARM_ENVIRONMENT_LABEL]: entry.key },
      warn: this.o.warn,
      // A restore that fails (a damaged entry) is tried again after a while, not at once.
      refillDelayMs: 15_000,
      // The snapshot goes in as on a hit, the paths its own commit tracked left out; the goal's copy then lays its files over it.
      prepare: async (containerId) => {
        await restoreSnapshot({
          sandbox: this.o.sandbox,
          containerId,
          dir: this.o.cache.entryDir(entry.key),
          files: entry.files,
          // The goal that made the entry may be gone from the store (another data dir, pruned): then nothing is
          // left out, and the taking goal's copy lays its own tracked files over whatever the snapshot put there.
          tracked: await readTrackedPaths(this.o.store, entry.goalId).catch(() => new Set<string>()),
        });
      },
    });
  }
}
