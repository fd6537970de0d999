/**
 * What `status`, `list` and `watch` print for a goal that waits (the status
 * view's `waiting`, and the `waitingFor` text of goals started before it) and
 * for the call running now: the wait in words, since and until when, and the
 * exact commands that answer.
 */
import type { GoalStatusView } from '../../workflows/types';
import { describeCurrentCall, describeWait } from '../../cli/waiting';
import { renderWatch } from '../../cli/watch';
import { renderTable } from '../../cli/output';
import { span } from '../../cli/time-text';
import { renderDiff, wantsColour } from '../../cli/diff-text';

const NOW = Date.parse('2026-11-30T10:00:00Z');
const base: GoalStatusView = {
  workflowId: 'goal-app-1',
  repository: '/srv/app',
  goal: 'Fix add',
  phase: 'working',
  iteration: 3,
  maxIterations: 30,
  usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120 },
  limits: { maxIterations: 30, maxTotalTokens: 1000, deadlineAt: NOW + 3_600_000 },
  checks: { state: 'not_run', results: [] },
};

test('a publish-approval wait: the diff stat, since and until when, and diff / approve / reject commands', () => {
  const view: GoalStatusView = {
    ...base,
    phase: 'awaiting_publish_approval',
    waiting: {
      kind: 'publish_approval',
      since: NOW - 130_000,
      until: NOW + 7 * 86_400_000 - 130_000,
      reason: 'the change is ready',
      answers: ['approvePublish'],
      diffStat: { files: 3, insertions: 12, deletions: 4 },
    },
  };
  const wait = describeWait(view, NOW)!;
  expect(wait.what).toBe('publish approval: the change is ready: 3 files changed, +12 −4');
  expect(wait.since).toMatch(/^since \d\d:\d\d:\d\d \(2m 10s ago\)$/);
  expect(wait.until).toMatch(/^until 2026-12-0\d \d\d:\d\d:\d\d \(in 6d 23h\)$/);
  expect(wait.commands).toEqual([
    'drydock diff goal-app-1',
    'drydock approve publish goal-app-1',
    'drydock approve publish goal-app-1 --reject --comment "…"',
  ]);
  const frame = renderWatch(view, NOW);
  expect(frame).toContain('phase      awaiting publish approval\n');
  expect(frame).toContain('waiting    ⏸ publish approval: the change is ready: 3 files changed, +12 −4\n');
  expect(frame).toContain('           → drydock approve publish goal-app-1\n');
});

test('a budget wait answers with extend and finish-now; a plan wait with approve plan', () => {
  const budget = describeWait(
    { ...base, waiting: { kind: 'budget', since: NOW, until: NOW + 1000, reason: 'tokens used up', answers: [] } },
    NOW,
  )!;
  expect(budget.commands).toEqual([
    'drydock extend goal-app-1 --tokens <n> --iterations <n> --seconds <duration>',
    'drydock finish-now goal-app-1',
  ]);
  const plan = describeWait({
    ...base,
    waitingFor: 'plan approval: 2 lines (send the approvePlan update; times out in 604800 s)',
  })!;
  expect(plan.what).toBe('plan approval: 2 lines');
  expect(plan.commands[0]).toBe('drydock approve plan goal-app-1');
  expect(describeWait(base)).toBeUndefined();
});

test('the call running now and for how long; none once the goal has a result', () => {
  const view: GoalStatusView = {
    ...base,
    currentCall: { kind: 'tool', summary: 'shell npm test', startedAt: NOW - 25_000 },
  };
  expect(describeCurrentCall(view, NOW)).toBe('tool: shell npm test (for 25s)');
  expect(renderWatch(view, NOW)).toContain('running    tool: shell npm test (for 25s)\n');
  expect(
    describeCurrentCall(
      { ...view, result: { status: 'succeeded', summary: '', usage: base.usage, iterations: 3, checks: [] } },
      NOW,
    ),
  ).toBeUndefined();
  expect([span(45_000), span(185_000), span(7_800_000)]).toEqual(['45s', '3m 05s', '2h 10m']);
});

test('tables: aligned with a header on a terminal (wide characters counted once), tab-separated without one in a pipe', () => {
  const rows = [
    ['goal-a', 'running (working)', '—'],
    ['goal-long-id', 'succeeded', '$0.1'],
  ];
  expect(renderTable(['ID', 'STATUS', 'COST'], rows, true)).toBe(
    'ID            STATUS             COST\ngoal-a        running (working)  —\ngoal-long-id  succeeded          $0.1\n',
  );
  expect(renderTable(['ID', 'STATUS', 'COST'], rows, false)).toBe(
    'goal-a\trunning (working)\t—\ngoal-long-id\tsucceeded\t$0.1\n',
  );
});

test('diff text: coloured on a terminal with binary hunks as one line; piped, exactly the patch (terminal-safe)', () => {
  const patch = [
    'diff --git a/a.txt b/a.txt',
    '--- a/a.txt',
    '+++ b/a.txt',
    '@@ -1 +1 @@',
    '-old\x1b]0;title\x07',
    '+new',
    'diff --git a/logo.png b/logo.png',
    'GIT binary patch',
    'literal 3',
    'KcmZQz00961',
    '',
    '',
  ].join('\n');
  const tty = renderDiff(patch, true, true);
  expect(tty).toContain('\x1b[31m-old\x1b[0m\n\x1b[32m+new\x1b[0m');
  expect(tty).toContain('\x1b[36m@@ -1 +1 @@\x1b[0m');
  expect(tty).toContain('(binary content left out)');
  expect(tty).not.toContain('KcmZQz00961');
  expect(tty).not.toContain(']0;title');
  const piped = renderDiff(patch, false, false);
  expect(piped).toBe(patch.replace('\x1b]0;title\x07', ''));
  expect(wantsColour(true, { NO_COLOR: '1' })).toBe(false);
  expect(wantsColour(false, {})).toBe(false);
});
