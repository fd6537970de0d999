/**
 * A long goal continues as new every policy.turnsPerRun turns: history stays
 * small, and the next run carries the sandbox, the conversation's length, the
 * accounting and the last checkpoint. Fake activities, real dev server.
 */
import { useFakeDrydock } from '../../support/fake-workers';
import type { RecordedCall } from '../../support/fake-goal';
import { finish, readFile, shell, turn, writeFile } from '../../support/fake-model';

const drydock = useFakeDrydock();

/** How many model turns each workflow run made, in order. */
function turnsPerRun(calls: RecordedCall[]): number[] {
  const runs: string[] = [];
  const counts = new Map<string, number>();
  for (const c of calls) {
    if (!counts.has(c.runId)) runs.push(c.runId);
    counts.set(c.runId, (counts.get(c.runId) ?? 0) + 1);
  }
  return runs.map((r) => counts.get(r)!);
}

test('every turnsPerRun turns the goal continues as new, keeping its sandbox, conversation and accounting', async () => {
  const goal = drydock.goal('can-turns', {
    model: [
      turn(writeFile('src/math.js')),
      turn(shell('npm test')),
      turn(readFile('README.md')),
      turn(shell('npm test')),
      turn(finish('fixed')),
    ],
  });
  const result = await goal.run({ policy: { turnsPerRun: 2 } });

  expect(result.status).toBe('succeeded');
  expect(turnsPerRun(goal.callsOf('callModel'))).toEqual([2, 2, 1]);
  expect(result.iterations).toBe(5);
  expect(result.usage.totalTokens).toBe(5 * 120);
  // The conversation goes on where the last run left it.
  expect(goal.inputsOf('callModel').map((c) => [c.step, c.length])).toEqual([
    [0, 2],
    [1, 4],
    [2, 6],
    [3, 8],
    [4, 10],
  ]);
  // One sandbox, prepared once, removed once at the very end.
  for (const activity of ['provisionSandbox', 'copyRepository', 'openConversation', 'destroySandbox'] as const)
    expect(goal.callsOf(activity)).toHaveLength(1);
  expect(goal.calls.at(-1)?.activity).toBe('destroySandbox');
  // Mutating calls of later runs still checkpoint against the base commit the first run pinned.
  expect(goal.inputsOf('runTool').map((r) => r.checkpoint?.baseCommit !== undefined)).toEqual([true, true, true, true]);
  const status = await goal.status();
  expect([status.phase, status.iteration, status.result?.status]).toEqual(['done', 5, 'succeeded']);
  expect(goal.liveSandboxes()).toEqual([]);
});

test('a sandbox lost after continuing as new is restored from a checkpoint the previous run took', async () => {
  const goal = drydock.goal('can-loss', {
    model: [
      turn(writeFile('src/math.js')),
      turn(readFile('src/math.js')),
      turn(shell('npm test', 'losesSandbox')),
      turn(finish('fixed')),
    ],
  });
  const result = await goal.run({ policy: { turnsPerRun: 2 } });

  expect(result.status).toBe('succeeded');
  const [restore] = goal.callsOf('restoreWorkspace');
  expect((restore?.input as { checkpointRef?: string }).checkpointRef).toBe('goals/can-loss/checkpoints/3.patch');
  expect(restore?.runId).not.toBe(goal.callsOf('runTool')[0]?.runId);
  expect(goal.liveSandboxes()).toEqual([]);
});
