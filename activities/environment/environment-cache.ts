/**
 * The environment cache of one sandbox host: post-setup snapshots (the
 * workspace beside the base commit's files, and the home folder) in a folder
 * on the host, one sub-folder per key, written to a temporary folder and
 * renamed into place so that a reader never sees half an entry. Entries expire
 * (DRYDOCK_ENV_CACHE_HOURS) and the least recently used go first when the
 * folder is over its size cap (DRYDOCK_ENV_CACHE_BYTES).
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';

/** Default lifetime of an entry, in hours. */
export const DEFAULT_ENV_CACHE_HOURS = 12;
/** Default size cap of a host's cache. */
export const DEFAULT_ENV_CACHE_BYTES = 20 * 1024 ** 3;

/** One snapshot file of an entry. */
export interface SnapshotFile {
  /** File name in the entry's folder. */
  name: string;
  /** Where its tar is put back in a sandbox. */
  target: string;
  bytes: number;
  sha256: string;
  /** The paths the tar holds (NUL-separated, latin1), when recorded: a restore that overwrites none of the goal's own paths streams the tar as it is. */
  paths?: { name: string; bytes: number; sha256: string };
  /** The workspace's manifest (snapshot-manifest.ts): what the post-setup baseline records for each of its paths. */
  manifest?: { name: string; bytes: number; sha256: string };
}

/** What an entry's meta.json holds. */
export interface EnvironmentEntry {
  key: string;
  repository: string;
  /** The base commit the snapshot was taken at. */
  commit: string;
  /** The goal whose setup made it. */
  goalId: string;
  host: string;
  imageId: string;
  toolchain: string;
  dependencyFiles: string[];
  /** How long the setup that made it took. */
  setupMs: number;
  createdAt: number;
  lastUsedAt: number;
  uses: number;
  files: SnapshotFile[];
  bytes: number;
  /** When goals started from it in the last day (epoch ms; absent in older entries). */
  usedAt?: number[];
  /** The key hosts advertise it under for placement (environment-cache-key.ts placementKey; absent in older entries). */
  placementKey?: string;
}

/** What callers pass to EnvironmentCache. */
export interface EnvironmentCacheOptions {
  dir: string;
  /** Lifetime of an entry in hours (DEFAULT_ENV_CACHE_HOURS when absent). */
  maxAgeHours?: number;
  /** Size cap in bytes (DEFAULT_ENV_CACHE_BYTES when absent). */
  maxBytes?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Why a lookup found nothing usable. */
export type CacheMiss = { hit: false; reason: string };

/** A usable entry and its folder. */
export type CacheHit = { hit: true; entry: EnvironmentEntry; dir: string };

const KEY = /^[0-9a-f]{64}$/;
const DAY_MS = 24 * 3600_000;
const META = 'meta.json';

/** The cache folder of one host. */
export class EnvironmentCache {
  readonly dir: string;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  private readonly now: () => number;

  constructor(o: EnvironmentCacheOptions) {
    this.dir = o.dir;
    this.maxAgeMs = (o.maxAgeHours ?? DEFAULT_ENV_CACHE_HOURS) * 3600_000;
    this.maxBytes = o.maxBytes ?? DEFAULT_ENV_CACHE_BYTES;
    this.now = o.now ?? Date.now;
  }

  /** The entry for `key` when it is there, whole and not expired; an expired or unreadable one is removed. */
  async lookup(key: string): Promise<CacheHit | CacheMiss> {
    const entry = await this.read(key);
    if (!entry) return { hit: false, reason: 'no cached environment for this key' };
    if ('broken' in entry) {
      await this.remove(key);
      return { hit: false, reason: `the cached entry was unreadable (${entry.broken}); removed` };
    }
    const age = this.now() - entry.createdAt;
    if (age > this.maxAgeMs) {
      await this.remove(key);
      return {
        hit: false,
        reason: `the cached environment expired (${hoursText(age)} old, lifetime ${hoursText(this.maxAgeMs)})`,
      };
    }
    return { hit: true, entry, dir: this.entryDir(key) };
  }

  /** Marks an entry used now (least-recently-used order). */
  async touch(entry: EnvironmentEntry): Promise<void> {
    const now = this.now();
    const usedAt = [...(entry.usedAt ?? []).filter((t) => now - t < DAY_MS), now];
    const updated = { ...entry, lastUsedAt: now, uses: entry.uses + 1, usedAt };
    await this.writeMeta(this.entryDir(entry.key), updated).catch(() => undefined);
  }

  /** A fresh temporary folder for an entry being written. */
  async begin(): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, `.tmp-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(tmp, { mode: 0o700 });
    return tmp;
  }

  /** Moves a written entry into place (replacing one with the same key), then evicts down to the cap. */
  async commit(tmp: string, entry: EnvironmentEntry): Promise<void> {
    await this.writeMeta(tmp, entry);
    const final = this.entryDir(entry.key);
    await this.remove(entry.key);
    await fs.rename(tmp, final);
    await this.evict(entry.key);
  }

  /** Removes a temporary folder (a write that failed). */
  async abandon(tmp: string): Promise<void> {
    await fs.rm(tmp, { recursive: true, force: true });
  }

  /** Every whole entry, most recently used first; unreadable ones are removed. */
  async list(): Promise<EnvironmentEntry[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const entries: EnvironmentEntry[] = [];
    for (const name of names) {
      if (!KEY.test(name)) continue;
      const entry = await this.read(name);
      if (!entry) continue;
      if ('broken' in entry) await this.remove(name);
      else entries.push(entry);
    }
    return entries.sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  /** Removes the entries of a repository (all when absent), the expired ones, and those not made with `imageId` when given. */
  async prune(o: { repository?: string; all?: boolean; imageId?: string } = {}): Promise<EnvironmentEntry[]> {
    const removed: EnvironmentEntry[] = [];
    for (const entry of await this.list()) {
      const expired = this.now() - entry.createdAt > this.maxAgeMs;
      const staleImage = o.imageId !== undefined && entry.imageId !== o.imageId;
      const chosen = o.all === true || (o.repository !== undefined && entry.repository === o.repository);
      if (expired || staleImage || chosen) {
        await this.remove(entry.key);
        removed.push(entry);
      }
    }
    await this.sweepTemporary();
    return removed;
  }

  /** Removes one entry (tolerates "already gone"). */
  async remove(key: string): Promise<void> {
    if (!KEY.test(key)) throw new Error(`not a cache key: ${JSON.stringify(key)}`);
    const dir = this.entryDir(key);
    // Renamed first: a reader never sees a half-removed entry.
    const doomed = path.join(this.dir, `.tmp-rm-${randomBytes(6).toString('hex')}`);
    try {
      await fs.rename(dir, doomed);
    } catch {
      return;
    }
    await fs.rm(doomed, { recursive: true, force: true });
  }

  /** The folder of an entry. */
  entryDir(key: string): string {
    return path.join(this.dir, key);
  }

  /** Evicts the least recently used entries (never `keep`) until the cache fits its cap. */
  private async evict(keep: string): Promise<void> {
    const entries = await this.list();
    let total = entries.reduce((n, e) => n + e.bytes, 0);
    for (const entry of [...entries].reverse()) {
      if (total <= this.maxBytes) break;
      if (entry.key === keep) continue;
      await this.remove(entry.key);
      total -= entry.bytes;
    }
    const kept = entries.find((e) => e.key === keep);
    if (kept && kept.bytes > this.maxBytes) await this.remove(keep);
  }

  /** Removes temporary folders older than an hour (writes a crashed worker left). */
  private async sweepTemporary(): Promise<void> {
    for (const name of await fs.readdir(this.dir).catch(() => [] as string[])) {
      if (!name.startsWith('.tmp-')) continue;
      const p = path.join(this.dir, name);
      const st = await fs.stat(p).catch(() => undefined);
      if (st && this.now() - st.mtimeMs > 3600_000) await fs.rm(p, { recursive: true, force: true });
    }
  }

  private async read(key: string): Promise<EnvironmentEntry | { broken: string } | undefined> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.entryDir(key), META), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const exists = await fs.stat(this.entryDir(key)).catch(() => undefined);
        return exists ? { broken: 'no meta.json' } : undefined;
      }
      return { broken: (err as Error).message };
    }
    try {
      const entry = JSON.parse(text) as EnvironmentEntry;
      if (entry.key !== key || !Array.isArray(entry.files)) return { broken: 'meta.json does not describe this entry' };
      return entry;
    } catch {
      return { broken: 'meta.json is not JSON' };
    }
  }

  private async writeMeta(dir: string, entry: EnvironmentEntry): Promise<void> {
    const tmp = path.join(dir, `${META}.${randomBytes(4).toString('hex')}`);
    await fs.writeFile(tmp, JSON.stringify(entry, null, 2));
    await fs.rename(tmp, path.join(dir, META));
  }
}

/** An age as people read it: "40 s", "12 min", "3 h". */
export function ageText(ms: number): string {
  if (ms < 90_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 90 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return hoursText(ms);
}

function hoursText(ms: number): string {
  const h = ms / 3600_000;
  return `${h >= 10 ? Math.round(h) : Math.round(h * 10) / 10} h`;
}
