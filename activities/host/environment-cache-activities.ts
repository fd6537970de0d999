/**
 * manageEnvironmentCache: `drydock env list | show | prune`, answered on the
 * sandbox host that holds the cache (through the environmentCache workflow),
 * so the CLI reads it from any machine that reaches Temporal.
 */
import type Dockerode from 'dockerode';
import type { EnvironmentCache, EnvironmentEntry } from '../environment/environment-cache';

/** What the CLI asks. */
export type EnvironmentCacheRequest =
  | { action: 'list'; repository?: string }
  | { action: 'show'; key: string }
  | { action: 'prune'; repository?: string; all?: boolean };

/** A cached environment as the CLI shows it. */
export type EnvironmentSummary = Omit<EnvironmentEntry, 'files'> & {
  files: { name: string; bytes: number }[];
  /** Milliseconds since it was made. */
  ageMs: number;
  /** Milliseconds until it expires. */
  expiresInMs: number;
};

/** What the host answers. */
export interface EnvironmentCacheAnswer {
  host: string;
  /** The cache folder on that host; absent when the host has no cache (DRYDOCK_ENV_CACHE_BYTES=0). */
  directory?: string;
  entries: EnvironmentSummary[];
  /** prune: what was removed. */
  removed?: EnvironmentSummary[];
  /** The cache's size cap and lifetime. */
  maxBytes?: number;
  maxAgeHours?: number;
}

/** Creates manageEnvironmentCache. */
export function createEnvironmentCacheActivities(deps: {
  host: string;
  environmentCache?: EnvironmentCache;
  image: string;
  networks?: { engine: Dockerode };
}) {
  return {
    /** Lists, shows (by key or key prefix) or prunes this host's cached environments. */
    async manageEnvironmentCache(request: EnvironmentCacheRequest): Promise<EnvironmentCacheAnswer> {
      const cache = deps.environmentCache;
      if (!cache) return { host: deps.host, entries: [] };
      const now = Date.now();
      const summary = (e: EnvironmentEntry): EnvironmentSummary => ({
        ...e,
        files: e.files.map((f) => ({ name: f.name, bytes: f.bytes })),
        ageMs: now - e.createdAt,
        expiresInMs: e.createdAt + cache.maxAgeMs - now,
      });
      const base = {
        host: deps.host,
        directory: cache.dir,
        maxBytes: cache.maxBytes,
        maxAgeHours: cache.maxAgeMs / 3600_000,
      };
      if (request.action === 'prune') {
        // Entries made with another sandbox image can never be used again (the image id is part of the key).
        const imageId = await deps.networks?.engine
          .getImage(deps.image)
          .inspect()
          .then((i) => i.Id)
          .catch(() => undefined);
        const removed = await cache.prune({ repository: request.repository, all: request.all, imageId });
        return { ...base, entries: (await cache.list()).map(summary), removed: removed.map(summary) };
      }
      const entries = await cache.list();
      if (request.action === 'show') {
        const prefix = request.key.toLowerCase();
        return { ...base, entries: entries.filter((e) => e.key.startsWith(prefix)).map(summary) };
      }
      return {
        ...base,
        entries: entries
          .filter((e) => request.repository === undefined || e.repository === request.repository)
          .map(summary),
      };
    },
  };
}
