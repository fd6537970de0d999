/**
 * Which cached environments a host keeps warm (workers/environment-warm-pool.ts):
 * the DRYDOCK_WARM_REPOS repositories with the most goals on the host in the
 * last day, each with its newest entry; none without a goal in the last day.
 */
import { chooseWarmEntries, goalsInLastDay } from '../../workers/environment-warm-pool';
import type { EnvironmentEntry } from '../../activities/environment/environment-cache';

const NOW = 1_700_000_000_000;
const H = 3600_000;

function entry(key: string, repository: string, createdAgoH: number, usedAgoH: number[] = []): EnvironmentEntry {
  return {
    key: key.repeat(64).slice(0, 64),
    repository,
    commit: 'c'.repeat(40),
    goalId: `g-${key}`,
    host: 'h',
    imageId: 'sha256:i',
    toolchain: '',
    dependencyFiles: [],
    setupMs: 1000,
    createdAt: NOW - createdAgoH * H,
    lastUsedAt: NOW - Math.min(createdAgoH, ...usedAgoH) * H,
    uses: usedAgoH.length,
    usedAt: usedAgoH.map((h) => NOW - h * H),
    files: [],
    bytes: 1,
    placementKey: `p${key}`,
  };
}

test('goals in the last day: the uses of the last 24 h and the goal that built it, if built in them', () => {
  expect(goalsInLastDay(entry('a', '/r', 2, [1, 0.5, 30]), NOW)).toBe(3);
  expect(goalsInLastDay(entry('a', '/r', 30, [40]), NOW)).toBe(0);
});

test('the repositories with the most goals in the last day first, each with its newest entry', () => {
  const entries = [
    entry('a', '/one', 5, [1]),
    entry('b', '/two', 3, [1, 2, 2.5]),
    entry('c', '/two', 1),
    entry('d', '/three', 2, [0.1, 0.2]),
  ];
  expect(chooseWarmEntries(entries, 1, NOW).map((e) => e.key[0])).toEqual(['c']);
  expect(chooseWarmEntries(entries, 2, NOW).map((e) => e.key[0])).toEqual(['c', 'd']);
  expect(chooseWarmEntries(entries, 0, NOW)).toEqual([]);
});

test('a repository without a goal in the last day, or an entry without a placement key, is not kept warm', () => {
  const old = entry('a', '/old', 30, [26]);
  const unkeyed = { ...entry('b', '/new', 1), placementKey: undefined };
  expect(chooseWarmEntries([old, unkeyed], 3, NOW)).toEqual([]);
});
