/**
 * Placement by cached environment (workers/environment-placement.ts): a goal
 * whose key a host advertises prefers that host while it is alive, not drained
 * and has room; otherwise no host is named (the shared queue builds it) and
 * the holders passed over are named with why.
 */
import { chooseEnvironmentHost, unusableBecause } from '../../workers/environment-placement';
import type { SandboxHostReport } from '../../workflows/sandbox-hosts';

const NOW = 1_700_000_000_000;
const KEY = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

function report(host: string, o: Partial<SandboxHostReport> = {}, keys: string[] = [KEY]): SandboxHostReport {
  return {
    host,
    identity: `1@m#${host}`,
    running: 0,
    capacity: 3,
    drained: false,
    engine: 'ok',
    updatedAt: NOW - 1000,
    environments: keys.map((key) => ({ key, repository: '/r', bytes: 10, createdAt: NOW - 3600_000 })),
    ...o,
  };
}

test('the host that holds the key is chosen over a less loaded one that does not', () => {
  const reports = [report('a', { running: 0 }, [OTHER]), report('b', { running: 2 })];
  expect(chooseEnvironmentHost(KEY, reports, new Set(), NOW)).toEqual({
    host: 'b',
    createdAt: NOW - 3600_000,
    passedOver: [],
  });
});

test('no host holds the key: none is named (the shared queue places it)', () => {
  expect(chooseEnvironmentHost(KEY, [report('a', {}, [OTHER]), report('b', {}, [])], new Set(), NOW)).toEqual({
    passedOver: [],
  });
  expect(chooseEnvironmentHost(KEY, [report('a', { environments: undefined })], new Set(), NOW)).toEqual({
    passedOver: [],
  });
});

test('a drained, full, silent, stopped or engine-down holder is passed over, with why', () => {
  const reports = [
    report('a', { drained: true }),
    report('b', { running: 3 }),
    report('c', { updatedAt: NOW - 14_000 }),
    report('d', { stopped: true }),
    report('e', { engine: 'connect ENOENT' }),
    report('f', {}),
  ];
  expect(chooseEnvironmentHost(KEY, reports, new Set(['f']), NOW)).toEqual({
    passedOver: [
      { host: 'a', reason: 'drained' },
      { host: 'b', reason: 'full (3/3)' },
      { host: 'c', reason: 'silent for 14 s' },
      { host: 'd', reason: 'stopped' },
      { host: 'e', reason: 'engine down: connect ENOENT' },
      // The drain mark is the truth, before the host's report knows it.
      { host: 'f', reason: 'drained' },
    ],
  });
});

test('among usable holders the least loaded wins; a passed-over holder is still named', () => {
  const reports = [report('a', { running: 2 }), report('b', { running: 1 }), report('c', { drained: true })];
  expect(chooseEnvironmentHost(KEY, reports, new Set(), NOW)).toEqual({
    host: 'b',
    createdAt: NOW - 3600_000,
    passedOver: [{ host: 'c', reason: 'drained' }],
  });
});

test('a host without a capacity always has room', () => {
  expect(unusableBecause(report('a', { capacity: null, running: 500 }), false, NOW)).toBeUndefined();
});
