/**
 * The chaos run in CI (bench/chaos-run.ts, shorter than `npm run bench:chaos`):
 * 3 goals while worker processes are killed with SIGKILL 3 times, one goal's
 * container is removed and the Temporal dev server restarts on its SQLite file.
 */
import { runChaos } from '../../bench/chaos-run';
import { buildWorkers, removeBuild } from '../support/worker-process';

const TAG = Math.random().toString(36).slice(2, 8);
let build: string;

beforeAll(() => {
  build = buildWorkers(`chaos-${TAG}`);
}, 120_000);

afterAll(() => {
  if (build) removeBuild(build);
});

test('every goal survives worker kills, a container loss and a server restart: one PR each, the same diff, no container left', async () => {
  const figures = await runChaos({
    goals: 3,
    kills: 3,
    seed: 11,
    workersDir: build,
    log: (line) => console.log(`chaos: ${line}`),
  });
  console.log(JSON.stringify(figures));
  expect(figures.kills).toBe(3);
  expect(figures.containerLosses).toBe(1);
  expect(figures.serverRestarts).toBe(1);
  expect(figures.succeeded).toBe(3);
  expect(figures.duplicatePrs).toBe(0);
  expect(figures.diffsEqual).toBe(3);
  expect(figures.containersLeft).toEqual([]);
  // The goal whose container was removed provisioned again, on the one host there is; the bench names it from history.
  const lost = figures.reprovisioned.find((r) => r.goalId.endsWith('-chaos-0'));
  expect(lost?.hosts.length).toBeGreaterThanOrEqual(2);
  expect(new Set(lost?.hosts).size).toBe(1);
  expect(lost?.hosts[0]).toMatch(/^chaos-/);
  // A kill can repeat the call in flight at most once; none may be repeated more often than there were kills.
  expect(figures.maxCallsPerStep).toBeLessThanOrEqual(1 + figures.kills);
  expect(figures.extraModelCalls).toBeLessThanOrEqual(figures.kills);
}, 170_000);
