/**
 * The bench's pure pieces: its flags (--server dev,prod, --goals 0), the
 * slowest phase of a scale row, the hosts of a goal's sandboxes read from
 * history (re-provisioned goals), and the prod stack's `env` output.
 */
import type { temporal } from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';
import { parseBenchFlags } from '../../bench/flags';
import { sandboxHostsOf, timingsOf, type GoalTimings } from '../../bench/history';
import { BETWEEN_PHASE, describeSlowestPhase, phaseSharesOf, WAITING_PHASE } from '../../bench/phase-summary';
import { parseStackEnv } from '../../bench/prod-stack';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

test('--server takes dev, prod or both in order; the default is the dev server alone', () => {
  expect(parseBenchFlags([]).servers).toEqual(['dev']);
  expect(parseBenchFlags(['--server', 'dev,prod']).servers).toEqual(['dev', 'prod']);
  expect(parseBenchFlags(['--server', 'prod']).servers).toEqual(['prod']);
  expect(parseBenchFlags(['--server', 'prod, dev']).servers).toEqual(['prod', 'dev']);
  expect(() => parseBenchFlags(['--server', 'cloud'])).toThrow(/--server takes dev, prod or dev,prod.*"cloud"/);
  expect(() => parseBenchFlags(['--server', 'dev,dev'])).toThrow(/each once/);
  expect(() => parseBenchFlags(['--server', ''])).toThrow(/--server/);
});

test('--goals 0 skips the step rows but needs scale rows; counts are whole numbers named by their flag', () => {
  const f = parseBenchFlags(['--server', 'dev,prod', '--scale', '100', '--goals', '0']);
  expect(f).toMatchObject({ goals: 0, scale: [100], servers: ['dev', 'prod'], pool: 2 });
  expect(parseBenchFlags([]).goals).toBe(5);
  expect(() => parseBenchFlags(['--goals', '0', '--scale', 'none'])).toThrow(/nothing to run/);
  expect(() => parseBenchFlags(['--goals', 'x'])).toThrow(/--goals takes a whole number ≥ 0; got "x"/);
  expect(() => parseBenchFlags(['--pool=-1'])).toThrow(/--pool takes a whole number ≥ 0/);
  expect(() => parseBenchFlags(['--scale', '10,abc'])).toThrow(/--scale takes positive integers/);
  expect(() => parseBenchFlags(['--sever', 'prod'])).toThrow(/Unknown option '--sever'.*--server dev,prod/);
});

function goal(startedMs: number, closedMs: number, activities: [string, number, number, number][]): GoalTimings {
  return {
    startedMs,
    closedMs,
    events: 0,
    activities: activities.map(([name, scheduledMs, startedAt, closed]) => ({
      name,
      taskQueue: 'q',
      scheduledMs,
      startedMs: startedAt,
      closedMs: closed,
    })),
  };
}

test('the slowest phase is the largest mean per goal: an activity type running, waiting for a worker, or the time between', () => {
  // Goal 1: 10 s; runTool runs 4 s after waiting 3 s; callModel 1 s. Goal 2: 20 s; runTool 2 s after 1 s.
  const a = goal(0, 10_000, [
    ['callModel', 0, 0, 1000],
    ['runTool', 1000, 4000, 8000],
  ]);
  const b = goal(0, 20_000, [['runTool', 0, 1000, 3000]]);
  const shares = phaseSharesOf([a, b]);
  // Between: goal 1 10 - 1 - 7 = 2 s; goal 2 20 - 3 = 17 s: mean 9.5 s of a mean 15 s goal.
  expect(shares[0]).toEqual({ phase: BETWEEN_PHASE, meanMs: 9500, share: 9500 / 15_000 });
  expect(shares.find((s) => s.phase === 'runTool')?.meanMs).toBe(3000);
  expect(shares.find((s) => s.phase === WAITING_PHASE)?.meanMs).toBe(2000);
  expect(shares.find((s) => s.phase === 'callModel')?.meanMs).toBe(500);
  expect(describeSlowestPhase([a, b])).toBe(`${BETWEEN_PHASE} 9.5 s (63%)`);
  // Where the workers are the bottleneck, the wait is what the row names.
  const queued = goal(0, 10_000, [['runTool', 0, 8000, 9000]]);
  expect(describeSlowestPhase([queued])).toBe(`${WAITING_PHASE} 8.0 s (80%)`);
  expect(describeSlowestPhase([])).toBe('—');
});

let nextId = 1;
const at = (ms: number) => msToTs(ms);
function activity(name: string, queue: string, scheduled: number, closed: number, failed = false): HistoryEvent[] {
  const id = nextId;
  nextId += 3;
  return [
    {
      eventId: id,
      eventTime: at(scheduled),
      activityTaskScheduledEventAttributes: { activityType: { name }, taskQueue: { name: queue } },
    },
    { eventId: id + 1, eventTime: at(scheduled + 1), activityTaskStartedEventAttributes: { scheduledEventId: id } },
    {
      eventId: id + 2,
      eventTime: at(closed),
      ...(failed
        ? { activityTaskFailedEventAttributes: { scheduledEventId: id } }
        : { activityTaskCompletedEventAttributes: { scheduledEventId: id } }),
    },
  ] as unknown as HistoryEvent[];
}

test("a goal's sandbox hosts come from history: one per provision, named by the host queue its next sandbox activity went to", () => {
  const once = timingsOf([
    { eventId: 0, eventTime: at(0), workflowExecutionStartedEventAttributes: {} },
    ...activity('provisionSandbox', 'drydock-sandbox', 10, 100),
    ...activity('copyRepository', 'drydock-sandbox-h1', 110, 200),
    ...activity('callModel', 'drydock-agent', 210, 300),
  ] as unknown as HistoryEvent[]);
  expect(once.activities.map((a) => a.taskQueue)).toEqual(['drydock-sandbox', 'drydock-sandbox-h1', 'drydock-agent']);
  expect(sandboxHostsOf(once)).toEqual(['h1']);

  // The sandbox on h1 is lost; the lost one's removal goes to h1 while the new one lands on h2.
  const moved = timingsOf([
    ...activity('provisionSandbox', 'drydock-sandbox', 10, 100),
    ...activity('copyRepository', 'drydock-sandbox-h1', 110, 200),
    ...activity('runTool', 'drydock-sandbox-h1', 300, 5000, true),
    ...activity('destroySandbox', 'drydock-sandbox-h1', 5010, 5300),
    ...activity('provisionSandbox', 'drydock-sandbox', 5010, 5200),
    ...activity('copyRepository', 'drydock-sandbox-h2', 5210, 5400),
  ]);
  expect(sandboxHostsOf(moved)).toEqual(['h1', 'h2']);
  // A provision with nothing after it names no host.
  expect(sandboxHostsOf(timingsOf(activity('provisionSandbox', 'drydock-sandbox', 0, 10)))).toEqual(['?']);
});

test("the stack's env output gives the profile variables; anything else is an error that quotes it", () => {
  expect(parseStackEnv('TEMPORAL_CONFIG_FILE=/s/temporal.toml\nTEMPORAL_PROFILE=prod\n')).toEqual({
    TEMPORAL_CONFIG_FILE: '/s/temporal.toml',
    TEMPORAL_PROFILE: 'prod',
  });
  expect(() => parseStackEnv('drydock: no stack here yet\n')).toThrow(/not KEY=VALUE: "drydock: no stack here yet"/);
  expect(() => parseStackEnv('TEMPORAL_PROFILE=prod\n')).toThrow(/did not name TEMPORAL_CONFIG_FILE/);
});
