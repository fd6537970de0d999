/**
 * A person runs a gated goal from the CLI alone: starts it with the publish
 * gate on, follows its log live, reads the workspace diff while it works, sees
 * in `status`, `list` and `watch` that it waits, for what and which command
 * answers, reads the change it would publish, approves, and gets the PR (whose
 * record shows the diff). Real dev server, workers, Docker and git.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { loadScript, type ScriptedTurn } from '../../scripted-model';
import type { GoalStatusView } from '../../workflows/types';
import { useAgentStack } from '../support/agent-stack';
import { runCli } from '../support/cli';
import { fixturePath, makeGitRepo } from '../support/git-fixtures';

const stack = useAgentStack();
const RUN = Math.random().toString(36).slice(2, 8);
const BIN = path.join(__dirname, '..', '..', 'bin', 'drydock');
const GOAL = 'Make the failing test in test/math.test.js pass';
let cliEnv: Record<string, string>;

beforeAll(() => {
  cliEnv = { TEMPORAL_ADDRESS: stack.env.address };
});

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
});

/** A CLI process left running (logs -f, watch): its output so far and its exit. */
function spawnCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...cliEnv } });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { out, exited, kill: () => child.kill() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function statusOf(id: string): Promise<GoalStatusView | undefined> {
  const r = await runCli(['status', id, '--json'], cliEnv);
  return r.code === 0 ? (JSON.parse(r.stdout) as GoalStatusView) : undefined;
}

test('start with the publish gate, follow the log, read the diff, see the wait, approve, get the PR', async () => {
  const demo = loadScript(fixturePath('scripts/demo.json')).map((t) => ({ ...t, expect: undefined }));
  const fix = demo.find((t) => t.type === 'tool_calls' && t.calls[0]?.name === 'apply_patch')!;
  const turns: ScriptedTurn[] = [
    demo[0]!,
    fix,
    {
      type: 'tool_calls',
      content: 'Running the tests slowly.',
      calls: [{ name: 'shell', arguments: { command: 'sleep 8; npm test' } }],
    },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  ];
  stack.model.push(...turns);
  const repo = makeGitRepo('demo-repo');
  const id = `cli-gated-${RUN}`;
  const started = await runCli(
    ['start', '--repo', repo, '--goal', GOAL, '--id', id, '--require-publish-approval', '--max-iterations', '10'],
    cliEnv,
  );
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  const follow = spawnCli(['logs', id, '-f']);

  // While the slow command runs: the workspace diff is the last checkpoint, with the fix in it.
  await until('the slow command', async () => ((await statusOf(id))?.iteration ?? 0) >= 3);
  const live = await runCli(['diff', id], cliEnv);
  expect(live.code).toBe(0);
  expect(live.stderr).toMatch(
    new RegExp(`^drydock: ${id}: the workspace at its last checkpoint \\(goals/${id}/checkpoints/\\d+\\.patch\\)\\n$`),
  );
  expect(live.stdout).toContain('--- a/src/math.js');
  expect(live.stdout).toContain('-  return a - b;\n+  return a + b;');
  expect(live.stdout).not.toContain('\x1b[');

  // At the gate: every view says what it waits for and the command that answers.
  await until('the publish gate', async () =>
    /publish/.test((await statusOf(id))?.waitingFor ?? (await statusOf(id))?.waiting?.kind ?? ''),
  );
  const status = await runCli(['status', id], cliEnv);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^waiting for +publish approval: 1 files? changed, \+1 −1/m);
  expect(status.stdout).toMatch(new RegExp(`^answer with +drydock diff ${id}$`, 'm'));
  expect(status.stdout).not.toContain('change.patch');
  expect(status.stdout).toMatch(new RegExp(`^ +drydock approve publish ${id}$`, 'm'));
  expect(status.stdout).toMatch(/^cost +(\$[\d.]+|not priced)/m);

  const list = await runCli(['list', '--status', 'running'], cliEnv);
  expect(list.stdout).toMatch(new RegExp(`^${id}\\twaiting \\(publish approval\\)\\t`, 'm'));
  expect(list.stdout).toContain(`${id} waits for publish approval`);
  expect(list.stdout).toContain(`  → drydock approve publish ${id}\n`);

  const watch = spawnCli(['watch', id]);
  await until('a watch frame', async () => watch.out.stdout.includes('waiting'));
  expect(watch.out.stdout).toMatch(/^waiting +⏸ publish approval/m);
  expect(watch.out.stdout).toContain(`→ drydock approve publish ${id}`);

  const change = await runCli(['diff', id], cliEnv);
  expect(change.stderr).toMatch(
    new RegExp(`^drydock: ${id}: the change made for publishing \\(goals/${id}/change.text.patch\\)`),
  );
  expect(change.stdout).toContain('+  return a + b;');

  // The wrong gate is refused (exit 4); the right one goes on to the PR.
  const wrong = await runCli(['approve', 'plan', id], cliEnv);
  expect(wrong.code).toBe(4);
  const approved = await runCli(['approve', 'publish', id], cliEnv);
  expect(approved).toMatchObject({ code: 0, stderr: '' });
  const result = await runCli(['result', id, '--json'], cliEnv);
  expect(result.code).toBe(0);
  expect((JSON.parse(result.stdout) as { status: string }).status).toBe('succeeded');
  expect(await watch.exited).toBe(0);

  // logs -f ended with the goal, having printed every turn, each tool call with its output, and the checks.
  expect(await follow.exited).toBe(0);
  const log = follow.out.stdout;
  expect(follow.out.stderr).toBe('');
  expect(log).toMatch(/^▸ turn 1: Let me look at the repository first\. → list_files$/m);
  expect(log).toMatch(/^\$ apply_patch \{"patch":"--- a\/src\/math\.js/m);
  expect(log).toMatch(/^▸ turn 3: Running the tests slowly\. → shell$/m);
  expect(log).toMatch(/^\$ shell \{"command":"sleep 8; npm test"\}\n(  .*\n)*  .*pass 2/m);
  expect(log).toMatch(/^── (checks|clean-room verification) after turn \d+/m);
  expect(log).toMatch(/── goal completed\n$/);
  expect(log.indexOf('turn 1:')).toBeLessThan(log.indexOf('turn 3:'));

  // The PR record shows its diff.
  const pr = await runCli(['pr', 'show', id, '--diff'], cliEnv);
  expect(pr.code).toBe(0);
  expect(pr.stdout).toContain('## Diff\n');
  expect(pr.stdout).toContain('+  return a + b;');
}, 180_000);
