/**
 * The environment cache's folder (environment-cache.ts): entries expire after
 * their lifetime, the least recently used go first over the size cap, a damaged
 * entry is removed and reported as a miss, and prune removes a repository's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { EnvironmentCache, type EnvironmentEntry } from '../../activities/environment/environment-cache';

let dir: string;
let now: number;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'env-cache-'));
  now = Date.UTC(2026, 0, 1);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function key(n: number): string {
  return n.toString(16).padStart(64, '0');
}

async function put(cache: EnvironmentCache, k: string, repository: string, bytes: number): Promise<EnvironmentEntry> {
  const tmp = await cache.begin();
  writeFileSync(path.join(tmp, 'workspace.tar'), Buffer.alloc(bytes));
  const entry: EnvironmentEntry = {
    key: k,
    repository,
    commit: 'c'.repeat(40),
    goalId: 'g',
    host: 'h',
    imageId: 'sha256:i',
    toolchain: '',
    dependencyFiles: ['package-lock.json'],
    setupMs: 1000,
    createdAt: now,
    lastUsedAt: now,
    uses: 0,
    files: [{ name: 'workspace.tar', target: '/workspace', bytes, sha256: '' }],
    bytes,
  };
  await cache.commit(tmp, entry);
  return entry;
}

test('an entry is found until its lifetime is over, then it misses and is removed', async () => {
  const cache = new EnvironmentCache({ dir, maxAgeHours: 2, now: () => now });
  await put(cache, key(1), '/r', 10);
  expect((await cache.lookup(key(1))).hit).toBe(true);
  now += 2 * 3600_000 + 1;
  const miss = await cache.lookup(key(1));
  expect(miss).toEqual({ hit: false, reason: expect.stringContaining('expired') as string });
  expect(readdirSync(dir).filter((n) => !n.startsWith('.'))).toEqual([]);
});

test('over the size cap, the least recently used entries go first', async () => {
  const cache = new EnvironmentCache({ dir, maxBytes: 250, now: () => now });
  const a = await put(cache, key(1), '/a', 100);
  now += 1000;
  await put(cache, key(2), '/b', 100);
  now += 1000;
  await cache.touch(a);
  now += 1000;
  await put(cache, key(3), '/c', 100);
  expect((await cache.list()).map((e) => e.repository).sort()).toEqual(['/a', '/c']);
});

test('an entry larger than the cap is not kept', async () => {
  const cache = new EnvironmentCache({ dir, maxBytes: 50, now: () => now });
  await put(cache, key(1), '/a', 100);
  expect(await cache.list()).toEqual([]);
});

test('a damaged entry (no meta.json, or meta.json that is not JSON) misses, and is removed', async () => {
  const cache = new EnvironmentCache({ dir, now: () => now });
  await put(cache, key(1), '/a', 10);
  writeFileSync(path.join(dir, key(1), 'meta.json'), '{"key": "trunc');
  const miss = await cache.lookup(key(1));
  expect(miss.hit).toBe(false);
  expect(!miss.hit && miss.reason).toContain('unreadable');
  expect(readdirSync(dir).filter((n) => !n.startsWith('.'))).toEqual([]);
});

test("prune removes a repository's entries, or every entry", async () => {
  const cache = new EnvironmentCache({ dir, now: () => now });
  await put(cache, key(1), '/a', 10);
  await put(cache, key(2), '/b', 10);
  expect((await cache.prune({ repository: '/a' })).map((e) => e.repository)).toEqual(['/a']);
  expect((await cache.list()).map((e) => e.repository)).toEqual(['/b']);
  expect((await cache.prune({ all: true })).map((e) => e.repository)).toEqual(['/b']);
  expect(await cache.list()).toEqual([]);
});

test('prune removes the entries made with another sandbox image, whatever the repository', async () => {
  const cache = new EnvironmentCache({ dir, now: () => now });
  await put(cache, key(1), '/a', 10);
  await put(cache, key(2), '/b', 10);
  const meta = path.join(dir, key(2), 'meta.json');
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), imageId: 'sha256:old' }));
  expect((await cache.prune({ repository: '/none', imageId: 'sha256:i' })).map((e) => e.repository)).toEqual(['/b']);
  expect((await cache.list()).map((e) => e.repository)).toEqual(['/a']);
});
