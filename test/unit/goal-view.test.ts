/** How a goal presents itself outside the status query: answering commands, tool lines, markdown that cannot be forged, start metadata. */
import { answersFor, goalStartMetadata, markdownSafe, shellWord, toolCallLine } from '../../workflows/goal-view';

test('the commands that answer a wait name the limit that ran out, with the id quoted when it must be', () => {
  expect(answersFor('budget', 'gate-2', 'token budget (1000) used up')).toEqual([
    'drydock extend gate-2 --tokens <n>',
    'drydock finish-now gate-2',
  ]);
  expect(answersFor('budget', 'g', 'deadline reached (2026-01-01T00:00:00.000Z)')[0]).toBe(
    'drydock extend g --seconds <n>',
  );
  expect(answersFor('budget', 'g', 'cost budget ($1) used up')[0]).toBe('drydock extend g --cost <usd>');
  expect(answersFor('budget', 'g', 'max iterations (3) reached')[0]).toBe('drydock extend g --iterations <n>');
  expect(answersFor('plan_approval', "it's mine", '')[0]).toBe(`drydock approve plan 'it'\\''s mine'`);
  expect(shellWord('goal-demo-repo-1a2b')).toBe('goal-demo-repo-1a2b');
});

test('a tool call reads as its name and its main argument, also when the preview was cut', () => {
  expect(toolCallLine('shell', '{"command":"npm test"}')).toBe('shell npm test');
  expect(toolCallLine('read_file', '{"path":"src/math.js"}')).toBe('read_file src/math.js');
  expect(toolCallLine('shell', `{"command":"npm run build -- --verbose ${'x'.repeat(200)}`)).toMatch(
    /^shell npm run build -- --verbose x+…$/,
  );
  expect(toolCallLine('apply_patch', '{"patch":"--- a\\n+++ b"}')).toBe('apply_patch {"patch":"--- a\\n+++ b"}');
});

test('text from a goal or a model cannot break out of its markdown line', () => {
  expect(markdownSafe('a\n**result** succeeded`x`\u001b[2J')).toBe('a **result** succeeded x [2J');
  expect(markdownSafe('y'.repeat(300), 10)).toBe(`${'y'.repeat(9)}…`);
});

test('start metadata: the goal as a one-line summary; repository, branch, model and policy as details', () => {
  const m = goalStartMetadata({
    repository: '/srv/git/app',
    goal: 'Fix the flaky test\nwith details below',
    baseBranch: 'dev',
    model: { name: 'gpt-4.1' },
    policy: { maxIterations: 5, requirePlanApproval: true },
  });
  expect(m.staticSummary).toBe('Fix the flaky test');
  expect(m.staticDetails).toBe(
    '**repository** /srv/git/app\n\n**branch** dev\n\n**model** gpt-4.1\n\n**policy** maxIterations=5, requirePlanApproval=true',
  );
  expect(
    goalStartMetadata({ repository: '/r', goal: '', issue: { owner: 'acme', repo: 'app', number: 7 } }).staticSummary,
  ).toBe('issue acme/app#7');
});
