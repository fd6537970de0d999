/**
 * A strict CLI, to gh's standard: every input trap is refused with a line that
 * names the flag and quotes the input, exit codes tell the kinds of failure
 * apart, the completion script loads in bash, tables align on a terminal and
 * stay tab-separated in a pipe, and with no worker `doctor` says so and
 * `status` answers within seconds. An agent worker alone (no Docker): goals
 * wait for a sandbox worker that never comes, so they stay running.
 */
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { AGENT_QUEUE } from '../../workflows/queues';
import { runCli, useAgentWorker, type CliRun } from '../support/cli';
import { gitIn, makeGitRepo } from '../support/git-fixtures';

const stack = useAgentWorker();
const RUN = randomBytes(3).toString('hex');
const BIN = path.join(__dirname, '..', '..', 'bin', 'drydock');

/** Starts a goal that waits (no sandbox worker) on the agent queue. */
function startWaitingGoal(client: Client, id: string) {
  return client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: id,
    args: [{ repository: '/tmp/no-such-repo-needed', goal: `Wait for a sandbox that never comes (${id})` }],
  });
}

/** Runs the CLI under script(1): stdout is a terminal. */
function runOnTerminal(args: string[], env: Record<string, string>): Promise<CliRun> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
          stdout: stdout.replace(/\r/g, ''),
          stderr,
        }),
    );
  });
}

test.each([
  [
    ['start', '--repo', '.', '--goal', 'x', '--max-iterations', 'abc'],
    "option '--max-iterations <n>' argument 'abc' is invalid. a whole number is expected",
  ],
  [['extend', 'g', '--tokens', '-5'], "option '--tokens <n>' argument '-5' is invalid. it must be 1 or more"],
  [['extend', 'g', '--cost', 'lots'], "option '--cost <usd>' argument 'lots' is invalid"],
  [
    ['start', '--repo', '.', '--goal', 'x', '--deadline', 'soon'],
    "option '--deadline <duration>' argument 'soon' is invalid",
  ],
  [['start', '--repo', '.', '--goal', 'x', '--on-exhausted', 'never'], 'it must be one of publish, ask, stop'],
  [['list', '--limit', '0'], "option '--limit <n>' argument '0' is invalid. it must be 1 or more"],
  [['list', '--status', 'done'], 'it must be one of running, succeeded, failed, budget_exhausted, cancelled'],
  [['start', '--repo', '.', '--goal', 'x', '--id', ''], '--id is empty; give a workflow id'],
  [['status', ''], 'the goal id is empty'],
  [['approve', 'plan', ' '], 'the goal id is empty'],
  [['start', '--interval', '3'], "unknown option '--interval' (it is an option of `drydock watch`)"],
  [['status', 'g', '--jsn'], "unknown option '--jsn' (Did you mean --json?)"],
  [['stauts', 'g'], 'unknown command "stauts" (did you mean status?)'],
  [['start', '--goal', 'Make', 'the', 'test', 'pass'], "too many arguments for 'start'"],
  [['completion', 'fish'], 'give the shell: drydock completion bash|zsh (got "fish")'],
  [['--address', '', 'status', 'g'], '--address is empty'],
])('%j is refused with exit 2 and one line naming the input', async (args, message) => {
  const r = await runCli(args, stack.cliEnv);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(message);
  expect(r.code).toBe(2);
});

test('a detached HEAD asks for --branch; uncommitted changes are named as not included', async () => {
  const repo = makeGitRepo('demo-repo');
  gitIn(repo, 'checkout', '-q', '--detach');
  const detached = await runCli(['start', '--repo', repo, '--goal', 'x'], stack.cliEnv);
  expect(detached.code).toBe(2);
  expect(detached.stderr).toMatch(/has a detached HEAD \(at [0-9a-f]{12}\); give --branch <name>/);

  gitIn(repo, 'checkout', '-q', 'main');
  const { writeFileSync } = await import('fs');
  writeFileSync(path.join(repo, 'NOTES.md'), 'local notes\n');
  const id = `cli-dirty-${RUN}`;
  const started = await runCli(
    ['start', '--repo', repo, '--goal', 'x', '--id', id, '--max-tokens', '5000'],
    stack.cliEnv,
  );
  expect(started.code).toBe(0);
  expect(started.stderr).toBe(
    `drydock: note: 1 uncommitted change in ${repo} is not included (the goal starts from the last commit of the checked-out branch): ?? NOTES.md\n`,
  );
  // The policy flag reached the goal.
  const status = JSON.parse((await runCli(['status', id, '--json'], stack.cliEnv)).stdout) as {
    limits: { maxTotalTokens: number };
  };
  expect(status.limits.maxTotalTokens).toBe(5000);
  await stack.env.client.workflow.getHandle(id).terminate('test done');
}, 60_000);

test('--internet reaches the goal as its allowlist; a value that is not a domain is refused before anything starts', async () => {
  const repo = makeGitRepo('demo-repo');
  const bad = await runCli(
    ['start', '--repo', repo, '--goal', 'x', '--internet', 'package-registries,10.0.0.1'],
    stack.cliEnv,
  );
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--internet: "10.0.0.1" is not a domain: an IP address is not allowed');
  const id = `cli-internet-${RUN}`;
  const started = await runCli(
    [
      'start',
      '--repo',
      repo,
      '--goal',
      'x',
      '--id',
      id,
      '--internet',
      'package-registries,api.example.org',
      '--internet-read-only',
    ],
    stack.cliEnv,
  );
  expect(started.code).toBe(0);
  const handle = stack.env.client.workflow.getHandle(id);
  const described = await handle.describe();
  expect(await described.staticDetails()).toContain(
    '**internet** allowlist package-registries, api.example.org; methods GET, HEAD, OPTIONS',
  );
  await handle.terminate('test done');
}, 60_000);

test('exit codes: 3 when Temporal does not answer, 4 when the goal refuses, 1 when the goal did not succeed', async () => {
  const unreachable = await runCli(['status', 'g', '--address', '127.0.0.1:1'], stack.cliEnv);
  expect(unreachable.code).toBe(3);
  expect(unreachable.stderr).toMatch(/^drydock: cannot reach Temporal at 127\.0\.0\.1:1 .*--address/);

  const id = `cli-codes-${RUN}`;
  await startWaitingGoal(stack.env.client, id);
  // No gate is open: the workflow's validator refuses, and the CLI says so with the goal's state.
  const wrongGate = await runCli(['approve', 'plan', id], stack.cliEnv);
  expect(wrongGate.code).toBe(4);
  expect(wrongGate.stderr).toMatch(new RegExp(`^drydock: ${id}: the goal is not waiting for plan approval`));

  // finish-now answers a budget wait only; this goal waits for a sandbox.
  const notWaiting = await runCli(['finish-now', id], stack.cliEnv);
  expect(notWaiting.code).toBe(4);
  expect(notWaiting.stderr).toBe(
    `drydock: ${id}: the goal is not waiting for budget (phase provisioning); finish-now answers a goal that waits with onExhausted "ask"\n`,
  );

  await runCli(['cancel', id], stack.cliEnv);
  const result = await runCli(['result', id], stack.cliEnv);
  expect(result).toMatchObject({ code: 1, stderr: `drydock: goal ${id} was cancelled\n` });
  const again = await runCli(['cancel', id], stack.cliEnv);
  expect(again).toMatchObject({
    code: 4,
    stderr: `drydock: goal ${id} already ended (cancelled); nothing to cancel\n`,
  });
}, 60_000);

test('the completion script loads in bash and completes commands, subcommands and flags', async () => {
  const script = `source <('${process.execPath}' '${BIN}' completion bash) || exit 9
complete -p drydock
COMP_WORDS=(drydock sta); COMP_CWORD=1; _drydock; echo "1:\${COMPREPLY[*]}"
COMP_WORDS=(drydock schedule cr); COMP_CWORD=2; _drydock; echo "2:\${COMPREPLY[*]}"
COMP_WORDS=(drydock start --require-p); COMP_CWORD=2; _drydock; echo "3:\${COMPREPLY[*]}"
COMP_WORDS=(drydock logs g --f); COMP_CWORD=3; _drydock; echo "4:\${COMPREPLY[*]}"`;
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile('bash', ['-c', script], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    ),
  );
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(out.stdout).toContain('complete -F _drydock drydock');
  expect(out.stdout).toContain('1:start status\n');
  expect(out.stdout).toContain('2:create\n');
  expect(out.stdout).toContain('3:--require-plan-approval --require-publish-approval\n');
  expect(out.stdout).toContain('4:--follow\n');
  const zsh = await runCli(['completion', 'zsh']);
  expect(zsh.stdout).toMatch(/^#compdef drydock\n/);
});

test('list: an aligned table with a start time on a terminal, tab-separated lines when piped', async () => {
  const short = `cli-t-${RUN}`;
  const long = `cli-table-with-a-longer-id-${RUN}`;
  await startWaitingGoal(stack.env.client, short);
  await startWaitingGoal(stack.env.client, long);
  try {
    let piped: CliRun | undefined;
    for (let i = 0; i < 20; i++) {
      piped = await runCli(['list', '--status', 'running'], stack.cliEnv);
      if (piped.stdout.includes(short) && piped.stdout.includes(long)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const lines = piped!.stdout.replace(/\n$/, '').split('\n');
    // No header, one goal a line, the fields between tabs: id, status, start time, tokens, cost, repository, goal.
    const row = lines.find((l) => l.startsWith(`${short}\t`))!.split('\t');
    expect(row).toHaveLength(7);
    expect(row[1]).toMatch(/^running \(/);
    expect(row[2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(lines[0]).not.toMatch(/^ID/);

    const tty = await runOnTerminal(['list', '--status', 'running'], stack.cliEnv);
    expect(tty.code).toBe(0);
    const table = tty.stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/^ID +STATUS +STARTED +TOKENS +COST +REPOSITORY +GOAL$/);
    expect(tty.stdout).not.toContain('\t');
    // Every column starts at the same offset on every line.
    for (const column of ['STATUS', 'STARTED', 'TOKENS']) {
      const at = table[0]!.indexOf(column);
      for (const name of [short, long]) {
        const line = table.find((l) => l.startsWith(`${name} `))!;
        expect(line[at - 1]).toBe(' ');
        expect(line[at]).not.toBe(' ');
        expect(line[at - 2]).toBe(' ');
      }
    }
  } finally {
    for (const id of [short, long]) await stack.env.client.workflow.getHandle(id).terminate('test done');
  }
}, 60_000);

test('with no worker: doctor says which queue nobody polls, and status says so within seconds', async () => {
  // A namespace no worker ever polled (Temporal lists a stopped worker's poller for minutes).
  const namespace = `cli-noworker-${RUN}`;
  await stack.env.client.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const env = { ...stack.cliEnv, TEMPORAL_NAMESPACE: namespace, DRYDOCK_SANDBOX_DISK: 'off' };
  const { Client } = await import('@temporalio/client');
  const client = new Client({ connection: stack.env.client.connection, namespace });
  const id = `cli-noworker-${RUN}`;
  for (let i = 0; ; i++) {
    try {
      await startWaitingGoal(client, id);
      break;
    } catch (err) {
      if (i > 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const t0 = Date.now();
  const status = await runCli(['status', id], env);
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(status).toMatchObject({
    code: 3,
    stderr: 'drydock: no worker is polling drydock-agent; start one with `npm run worker`\n',
  });
  const watch = await runCli(['watch', id, '--namespace', namespace], stack.cliEnv);
  expect(watch.code).toBe(3);
  expect(watch.stderr).toContain('no worker is polling drydock-agent');

  const doctor = await runCli(['doctor'], env);
  expect(doctor.code).toBe(1);
  expect(doctor.stdout).toMatch(
    /^✘ agent worker +no worker is polling drydock-agent; start one with `npm run worker`$/m,
  );
  expect(doctor.stdout).toMatch(
    /^✘ sandbox worker +no worker is polling drydock-sandbox; start one with `npm run worker`$/m,
  );
  await client.workflow.getHandle(id).terminate('test done');

  // Where the agent worker runs: doctor names it, and the model configuration it holds.
  const healthy = await runCli(['doctor', '--json'], stack.cliEnv);
  const checks = (JSON.parse(healthy.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
  expect(checks.find((c) => c.name === 'agent worker')).toMatchObject({
    ok: true,
    detail: expect.stringMatching(/^polls drydock-agent \(\d+@/),
  });
  expect(checks.find((c) => c.name === 'worker model')?.detail).toMatch(/^default model \S+ /);
}, 60_000);

test('backfill says how many runs it started and how many overlap skipped', async () => {
  const repo = makeGitRepo('demo-repo');
  const scheduleId = `cli-backfill-${RUN}`;
  const created = await runCli(
    ['schedule', 'create', '--id', scheduleId, '--cron', '0 3 * * *', '--repo', repo, '--goal', 'x', '--paused'],
    stack.cliEnv,
  );
  expect(created.code).toBe(0);
  try {
    // Three days, three cron times; the first run waits for a sandbox worker that never comes, so overlap skips the rest.
    const r = await runCli(
      ['schedule', 'backfill', scheduleId, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-03T23:00:00Z'],
      stack.cliEnv,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `backfill of ${scheduleId} from 2026-01-01T00:00:00.000Z to 2026-01-03T23:00:00.000Z: 1 run started, 2 skipped (overlap: skip — a run was still in progress)\n`,
    );
  } finally {
    const handle = stack.env.client.schedule.getHandle(scheduleId);
    const running = (await handle.describe()).info.runningActions;
    await handle.delete();
    for (const a of running)
      await stack.env.client.workflow
        .getHandle(a.workflow.workflowId)
        .terminate('test done')
        .catch(() => undefined);
  }
}, 60_000);

test('a worker that just stopped: status says no worker answers within seconds, in one line', async () => {
  const id = `cli-stopped-${RUN}`;
  await startWaitingGoal(stack.env.client, id);
  expect((await runCli(['status', id], stack.cliEnv)).code).toBe(0);
  await stack.stopWorker();
  const t0 = Date.now();
  const r = await runCli(['status', id], stack.cliEnv);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(r.stderr).toMatch(
    /^drydock: no worker (is polling|answered on) drydock-agent.*; start one with `npm run worker`\n$/,
  );
  expect(r.code).toBe(3);
  // A goal that ended: its status is a query too; Temporal answers "no poller seen" or the query times out.
  await stack.env.client.workflow.getHandle(id).terminate('test done');
  const ended = await runCli(['status', id], stack.cliEnv);
  expect(ended.stderr).toMatch(
    /^drydock: no worker (is polling|answered on) drydock-agent.*; start one with `npm run worker`\n$/,
  );
  expect(ended.code).toBe(3);
}, 60_000);

test('codec-server on a busy port: one line naming the port and --port, exit 2, no stack', async () => {
  const net = await import('net');
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = await runCli(['codec-server', '--port', String(port)], {
      ...stack.cliEnv,
      DRYDOCK_PAYLOAD_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(r).toMatchObject({
      code: 2,
      stderr: `drydock: codec-server: port ${port} on 127.0.0.1 is in use; pick another with --port\n`,
    });
  } finally {
    busy.close();
  }
});

test('every command has its own --help with examples', async () => {
  const commands = [
    ['doctor'],
    ['start'],
    ['revise'],
    ['status'],
    ['result'],
    ['watch'],
    ['list'],
    ['diff'],
    ['logs'],
    ['cost'],
    ['models'],
    ['feedback'],
    ['approve'],
    ['extend'],
    ['finish-now'],
    ['cancel'],
    ['completion'],
    ['smoke'],
    ['hosts'],
    ['hosts', 'drain'],
    ['hosts', 'undrain'],
    ['codec-server'],
    ['pr', 'list'],
    ['pr', 'show'],
    ['schedule', 'create'],
    ['schedule', 'list'],
    ['schedule', 'show'],
    ['schedule', 'pause'],
    ['schedule', 'unpause'],
    ['schedule', 'trigger'],
    ['schedule', 'backfill'],
    ['schedule', 'delete'],
  ];
  const missing: string[] = [];
  for (const c of commands) {
    const r = await runCli([...c, '--help']);
    if (
      r.code !== 0 ||
      !r.stdout.startsWith(`Usage: drydock ${c.join(' ')}`) ||
      !/\nExamples:\n {2}\$ .*drydock /.test(r.stdout)
    )
      missing.push(c.join(' '));
  }
  expect(missing).toEqual([]);
}, 120_000);
