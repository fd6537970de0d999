/**
 * The Temporal UI tells a goal's story on its own: a goal that did not succeed
 * is a failed execution (its GoalResult the failure's details, read back with
 * readGoalResult), one that succeeded completes; the workflow sets its memo
 * itself; the current details are the status view; every activity and every
 * wait carries a summary in history. A maintenance campaign still aggregates
 * its children's results. Fake activities, real dev server.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { readGoalResult } from '../../../cli/goal-result';
import { approvePlanUpdate } from '../../../workflows/messages';
import type { MaintenanceResult } from '../../../workflows/maintenance';
import { AGENT_QUEUE } from '../../../workflows/queues';
import { useFakeDrydock } from '../../support/fake-workers';
import { DEFAULT_INPUT } from '../../support/fake-goal';
import { finish, shell, text, turn, writeFile } from '../../support/fake-model';

const drydock = useFakeDrydock();

/** The summaries of a history's scheduled activities and started timers, in order. */
function summaries(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes || e.timerStartedEventAttributes)
    .map((e) =>
      e.userMetadata?.summary ? (defaultPayloadConverter.fromPayload(e.userMetadata.summary) as string) : '(none)',
    );
}

test('a failed goal is a FAILED execution carrying its GoalResult; a succeeded one COMPLETED', async () => {
  const loop = () => turn(shell('npm tset', 'fails'));
  const failed = drydock.goal('ui-failed', { model: [loop(), loop(), loop()] });
  const ok = drydock.goal('ui-succeeded', { model: [turn(writeFile('src/math.js')), turn(finish('fixed'))] });
  await Promise.all([failed.start(), ok.start()]);

  const raw = await failed.handle.result().catch((err: unknown) => err);
  expect(raw).toBeInstanceOf(WorkflowFailedError);
  const cause = (raw as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause.type).toBe('GoalFailed');
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toMatch(/^goal failed: loop detected: the same failing call 3 times in a row/);
  expect((await failed.handle.describe()).status.name).toBe('FAILED');
  const result = await readGoalResult(failed.handle);
  expect(result).toMatchObject({ status: 'failed', iterations: 3, summary: 'The model was stuck in a loop.' });
  expect(result.reason).toMatch(/^loop detected/);

  expect((await ok.result()).status).toBe('succeeded');
  expect((await ok.handle.describe()).status.name).toBe('COMPLETED');
});

test('a budget that ran out is a FAILED execution of type GoalBudgetExhausted, with its draft PR in the result', async () => {
  const goal = drydock.goal('ui-exhausted', { model: [turn(shell('npm test'))] });
  await goal.start({ policy: { maxIterations: 1 } });
  const cause = ((await goal.handle.result().catch((err: unknown) => err)) as WorkflowFailedError)
    .cause as ApplicationFailure;
  expect(cause.type).toBe('GoalBudgetExhausted');
  const result = await readGoalResult(goal.handle);
  expect(result.status).toBe('budget_exhausted');
  expect(result.pr?.location).toBe('fake://ui-exhausted/pull/1');
});

test('memo, current details and the summaries of activities and timers read back from Temporal', async () => {
  const goal = drydock.goal('ui-story', {
    model: [text('1. fix add'), turn(shell('npm test')), turn(writeFile('src/math.js')), turn(finish('fixed'))],
  });
  // Started without a memo (as `temporal workflow start` would): the workflow sets its own.
  await goal.start({ policy: { requirePlanApproval: true } });
  await goal.statusWhen('the plan gate', (s) => s.phase === 'awaiting_plan_approval');
  const described = await goal.handle.describe();
  expect(described.memo).toEqual({ goal: DEFAULT_INPUT.goal, repository: DEFAULT_INPUT.repository });
  const metadata = (await goal.handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
  expect(metadata.currentDetails).toMatch(/^\*\*awaiting plan approval\*\* · turn 1\/30 · 120 tokens/);
  expect(metadata.currentDetails).toContain('**waiting for plan approval** since ');
  expect(metadata.currentDetails).toContain('answer with `drydock approve plan ui-story`');

  await goal.handle.executeUpdate(approvePlanUpdate, { args: [{ approved: true }] });
  await goal.result();
  const done = (await goal.handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
  expect(done.currentDetails).toMatch(/^\*\*done\*\*/);
  expect(done.currentDetails).toContain('**result** succeeded');

  const history = await goal.handle.fetchHistory();
  const all = summaries(history.events ?? []);
  expect(all).not.toContain('(none)');
  expect(all).toEqual(
    expect.arrayContaining([
      'provisionSandbox',
      'callModel: model turn 1 (plan)',
      'waiting for plan approval (7d)',
      'callModel: model turn 2',
      'runTool: shell npm test',
      'runTool: write_file src/math.js',
      'verifyChange: npm test',
      'publishChange',
      'destroySandbox',
    ]),
  );
  expect(all.filter((s) => /^deadline \(\d+[hms] left\)$/.test(s))).toHaveLength(1);
});

test('a maintenance campaign aggregates its children, the failed one from its failure details', async () => {
  drydock.goal('ui-campaign/0-good', { model: [turn(writeFile('src/math.js')), turn(finish('fixed'))] });
  drydock.goal('ui-campaign/1-bad', {
    model: [turn(shell('x', 'fails')), turn(shell('x', 'fails')), turn(shell('x', 'fails'))],
  });
  const { goal } = DEFAULT_INPUT;
  const run = await drydock.env.client.workflow.start('maintenance', {
    taskQueue: AGENT_QUEUE,
    workflowId: 'ui-campaign',
    args: [{ goal, repositories: ['/srv/git/good', '/srv/git/bad'] }],
  });
  const result = (await run.result()) as MaintenanceResult;
  expect(result.lines.map((l) => [l.repository, l.status])).toEqual([
    ['/srv/git/good', 'succeeded'],
    ['/srv/git/bad', 'failed'],
  ]);
  expect(result.lines[1]?.reason).toMatch(/^loop detected/);
  expect(result).toMatchObject({ succeeded: 1, failed: 1 });
  // Each child carries the goal as its static summary in the UI.
  const child = await drydock.env.client.workflow.getHandle('ui-campaign/1-bad').describe();
  expect(await child.staticSummary()).toBe(goal);
  expect(await child.staticDetails()).toMatch(/^\*\*repository\*\* \/srv\/git\/bad/);
});
