/**
 * `drydock pr list` / `pr show` read the PR records on the agent worker,
 * through Temporal: they answer from a machine that has none of the worker's
 * files, find a record by PR id, branch or goal id, and say so in one line
 * when no agent worker answers.
 */
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PullRequestRecords, type PullRequestRecord } from '../../activities/codehost/pr-record';
import { runCli, useAgentWorker } from '../support/cli';

const stack = useAgentWorker();
/** The client's own data dir: empty, so that anything `pr` prints came from the worker. */
let clientDataDir: string;
let env: Record<string, string>;

function record(id: string, goalId: string, updatedAt: string, title: string): PullRequestRecord {
  return {
    id,
    title,
    repository: '/srv/repo',
    base: 'main',
    baseCommit: 'a'.repeat(40),
    head: `drydock/${id}`,
    commit: 'c'.repeat(40),
    goalId,
    state: 'open',
    draft: false,
    createdAt: updatedAt,
    updatedAt,
    body: `## Summary\n${title}\n`,
    files: [{ path: 'src/a.js', status: 'M', additions: 1, deletions: 1 }],
    checks: [{ command: 'npm test', exitCode: 1, passed: false, durationMs: 10, logTail: '', logRef: 'x' }],
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  };
}

beforeAll(() => {
  clientDataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-client-'));
  env = { ...stack.cliEnv, DRYDOCK_DATA_DIR: clientDataDir };
});

afterAll(() => rmSync(clientDataDir, { recursive: true, force: true }));

test('with no records yet, pr list names the folder on the worker', async () => {
  const r = await runCli(['pr', 'list'], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`no pull requests yet (${path.join(stack.dataDir, 'prs')})\n`);
});

test("pr list and pr show read the agent worker's records, not the client's disk", async () => {
  const records = new PullRequestRecords(path.join(stack.dataDir, 'prs'));
  await records.write(record('0a0a0a0a', 'goal-old', '2026-01-01T00:00:00.000Z', 'First try'));
  await records.write(record('1b1b1b1b', 'goal-two', '2026-01-02T00:00:00.000Z', 'Second goal'));

  const list = await runCli(['pr', 'list'], env);
  expect(list.code).toBe(0);
  expect(list.stdout).toBe(
    '1b1b1b1b  drydock/1b1b1b1b → main  Second goal  (1 files, checks failing, 2026-01-02T00:00:00.000Z)\n' +
      '0a0a0a0a  drydock/0a0a0a0a → main  First try  (1 files, checks failing, 2026-01-01T00:00:00.000Z)\n',
  );
  const json = JSON.parse((await runCli(['pr', 'list', '--json'], env)).stdout) as Record<string, unknown>[];
  expect(json.map((r) => r.id)).toEqual(['1b1b1b1b', '0a0a0a0a']);
  expect(json[0]).not.toHaveProperty('body');

  const show = await runCli(['pr', 'show', '0a0a0a0a'], env);
  expect(show.code).toBe(0);
  expect(show.stdout).toBe(
    '# First try\n\ndrydock/0a0a0a0a → main · /srv/repo · commit cccccccccccc\n\n## Summary\nFirst try\n\n',
  );
});

test('pr show finds a record by its branch and by its goal id', async () => {
  const byBranch = await runCli(['pr', 'show', 'drydock/1b1b1b1b', '--json'], env);
  expect(byBranch.code).toBe(0);
  expect((JSON.parse(byBranch.stdout) as PullRequestRecord).id).toBe('1b1b1b1b');
  const byGoal = await runCli(['pr', 'show', 'goal-old', '--json'], env);
  expect(byGoal.code).toBe(0);
  expect((JSON.parse(byGoal.stdout) as PullRequestRecord).id).toBe('0a0a0a0a');
  const none = await runCli(['pr', 'show', 'goal-none'], env);
  expect(none.code).toBe(2);
  expect(none.stderr).toBe('drydock: no pull request goal-none (see `drydock pr list`)\n');
});

test('with no agent worker, pr list fails in one line within seconds instead of hanging', async () => {
  await stack.stopWorker();
  const t0 = Date.now();
  const r = await runCli(['pr', 'list'], env);
  expect(r.code).toBe(3);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/no agent worker answered on drydock-agent within 10 s .*npm run worker/);
  expect(Date.now() - t0).toBeLessThan(30_000);
});
