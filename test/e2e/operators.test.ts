/**
 * Operators: watch, steer and schedule goals — status, feedback, approval
 * gates, the Temporal CLI, search attributes and schedules — against the real
 * dev server, workers, Docker and git, with the scripted model.
 */
import { execFile } from 'child_process';
import { WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import { approvePlanUpdate, approvePublishUpdate, feedbackSignal, statusQuery } from '../../workflows/messages';
import type { GoalInput } from '../../workflows/types';
import type { MaintenanceResult } from '../../workflows/maintenance';
import { useAgentStack } from '../support/agent-stack';
import { loadScript, type ScriptedTurn } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';
import { temporalBinary } from '../support/temporal-binary';
import { runCli } from '../support/cli';
import { readGoalResult } from '../../cli/goal-result';

let cliEnv: Record<string, string>;
const RUN = Math.random().toString(36).slice(2, 8);
const GOAL = 'Make the failing test in test/math.test.js pass';
const script = (): ScriptedTurn[] =>
  loadScript(fixturePath('scripts/demo.json')).map((t) => ({ ...t, expect: undefined }));
const fixTurn = (): ScriptedTurn =>
  script().find((t) => t.type === 'tool_calls' && t.calls[0]?.name === 'apply_patch')!;
const finishTurn: ScriptedTurn = {
  type: 'tool_calls',
  calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
};

const stack = useAgentStack();

beforeAll(() => {
  cliEnv = { TEMPORAL_ADDRESS: stack.env.address, DRYDOCK_DATA_DIR: stack.workers.config.dataDir };
});

function start(name: string, input: Partial<GoalInput> = {}, repo = makeGitRepo('demo-repo')) {
  return stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: `${name}-${RUN}`,
    args: [{ repository: repo, goal: GOAL, ...input }],
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

test('the status query answers in the middle of a run; feedback reaches the next model prompt', async () => {
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: 'sleep 4; echo slept' } }] },
    { ...fixTurn(), expect: { anyMessageIncludes: 'Feedback from a person: use the + operator' } },
    finishTurn,
  );
  const handle = await start('op-status');
  const mid = await until('the shell call to run', async () => {
    const v = await handle.query(statusQuery);
    return v.iteration === 1 && v.phase === 'working' ? v : undefined;
  });
  expect(mid.sandboxHost).toBe('testhost');
  expect(mid.usage.totalTokens).toBeGreaterThan(0);
  expect(mid.limits.maxIterations).toBe(30);
  expect(mid.checks.state).toBe('not_run');
  await handle.signal(feedbackSignal, 'use the + operator');
  const result = await readGoalResult(handle);
  expect(result.status).toBe('succeeded');
  const after = await handle.query(statusQuery);
  expect(after.lastTool?.name).toBe('apply_patch');
  expect(after.checks.state).toBe('passed');
});

test('the approvePublish gate holds until approved, takes a change back with a comment, and publishes after', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(fixTurn(), finishTurn);
  const handle = await start('op-publish', { policy: { requirePublishApproval: true } }, repo);
  await until('the publish gate', async () =>
    (await handle.query(statusQuery)).waitingFor?.startsWith('publish approval'),
  );
  expect((await handle.query(statusQuery)).waitingFor).toMatch(/publish approval: 1 files changed, \+1 −1/);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
  // A plan decision at the publish gate is refused without touching the goal.
  await expect(handle.executeUpdate(approvePlanUpdate, { args: [{ approved: true }] })).rejects.toThrow();
  stack.model.push({
    ...finishTurn,
    expect: { anyMessageIncludes: 'not approved for publishing: add a changelog line' },
  });
  expect(
    await handle.executeUpdate(approvePublishUpdate, { args: [{ approved: false, comment: 'add a changelog line' }] }),
  ).toMatch(/sent back/);
  await until('the publish gate again', async () =>
    (await handle.query(statusQuery)).waitingFor?.startsWith('publish approval'),
  );
  const approved = await runCli(['approve', 'publish', handle.workflowId], cliEnv);
  expect(approved.stderr).toBe('');
  expect(approved.stdout).toContain('publish approved');
  const result = await readGoalResult(handle);
  expect(result.status).toBe('succeeded');
  expect(gitIn(repo, 'branch', '--list', result.pr!.branch)).toContain(result.pr!.branch);
});

test('a gate that times out ends the goal with a clear status, and nothing is published', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(fixTurn(), finishTurn);
  const result = await readGoalResult(
    await start('op-timeout', { policy: { requirePublishApproval: true, approvalTimeoutSeconds: 2 } }, repo),
  );
  expect(result.status).toBe('failed');
  expect(result.reason).toMatch(/no decision on publishing within 2 s \(approval timed out\)/);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
});

test('approvePlan: the model plans in text, waits for a person, then works', async () => {
  stack.model.push({ type: 'text', content: '1. Fix add in src/math.js\n2. Run npm test' }, fixTurn(), finishTurn);
  const handle = await start('op-plan', { policy: { requirePlanApproval: true } });
  const waiting = await until('the plan gate', async () => {
    const v = await handle.query(statusQuery);
    return v.waitingFor?.startsWith('plan approval') ? v : undefined;
  });
  expect(waiting.phase).toBe('awaiting_plan_approval');
  expect(waiting.plan).toContain('Fix add in src/math.js');
  expect((stack.model.requests[0]?.body as { tool_choice?: string }).tool_choice).toBe('none');
  expect(await handle.executeUpdate(approvePlanUpdate, { args: [{ approved: true, by: 'alice' }] })).toBe(
    'plan approved by alice: the model goes to work',
  );
  const result = await readGoalResult(handle);
  expect(result.status).toBe('succeeded');
  expect(JSON.stringify(stack.model.requests[1]?.body)).toContain('The plan is approved. Go ahead.');
});

describe('the Temporal CLI', () => {
  const temporal = (args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) =>
      execFile(temporalBinary(), [...args, '--address', stack.env.address], (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      ),
    );

  test("a goal started with the README's command completes like drydock start", async () => {
    const repo = makeGitRepo('demo-repo');
    stack.model.push(fixTurn(), finishTurn);
    const id = `op-tcli-${RUN}`;
    const started = await temporal([
      'workflow',
      'start',
      '--type',
      'codingAgent',
      '--task-queue',
      'drydock-agent',
      '--workflow-id',
      id,
      '--input',
      JSON.stringify({ repository: repo, goal: GOAL }),
    ]);
    expect(started.code).toBe(0);
    const result = await readGoalResult(stack.env.client.workflow.getHandle(id));
    expect(result.status).toBe('succeeded');
    expect(gitIn(repo, 'diff', '--name-only', 'main', result.pr!.branch)).toBe('src/math.js');
    // No memo was given on the command line: the workflow set its own, so `drydock list` shows the goal.
    expect((await stack.env.client.workflow.getHandle(id).describe()).memo).toEqual({ goal: GOAL, repository: repo });
  });

  test('bad input through the Temporal CLI fails fast, non-retryable, with the message', async () => {
    const id = `op-tcli-bad-${RUN}`;
    const started = await temporal([
      'workflow',
      'start',
      '--type',
      'codingAgent',
      '--task-queue',
      'drydock-agent',
      '--workflow-id',
      id,
      '--input',
      '{"repository":"repo","goal":""}',
    ]);
    expect(started.code).toBe(0);
    const err = await stack.env.client.workflow
      .getHandle(id)
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string; nonRetryable?: boolean };
    expect(cause.type).toBe('InvalidGoalInput');
    expect(cause.message).toMatch(/must be an absolute path or a git URL.*goal is required/);
    const shown = await temporal(['workflow', 'show', '--workflow-id', id]);
    expect(shown.out).toMatch(/goal is required/);
  });
});

test('drydock list finds goals by search attribute; watch prints the goal until it ends', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(fixTurn(), finishTurn);
  const handle = await start('op-list', {}, repo);
  await handle.result();
  const listed = await until('the goal in the visibility store', async () => {
    const r = await runCli(['list', '--repo', repo, '--json'], cliEnv);
    const rows = JSON.parse(r.stdout || '[]') as {
      workflowId: string;
      outcome?: string;
      tokens?: number;
      repository?: string;
    }[];
    return rows.length === 1 && rows[0]?.outcome === 'succeeded' ? rows : undefined;
  });
  expect(listed[0]).toEqual(expect.objectContaining({ workflowId: handle.workflowId, repository: repo }));
  expect(listed[0]!.tokens).toBeGreaterThan(0);
  const none = await runCli(['list', '--repo', '/no/such/repo'], cliEnv);
  expect(none.stdout).toContain('no goals match');
  const watched = await runCli(['watch', handle.workflowId], cliEnv);
  expect(watched.code).toBe(0);
  expect(watched.stdout).toMatch(/phase +done/);
  expect(watched.stdout).toMatch(/turns +\[█+·+\] 7% 2\/30/);
  expect(watched.stdout).toMatch(/tokens +\[[█·]{30}\] 0% \d+\/2000000/);
  expect(watched.stdout).toMatch(/result +succeeded/);
  expect(watched.stdout).toContain('goal completed');
});

test('a schedule triggered now fans out over 3 repositories with a cap of 2 and reports 3 results', async () => {
  const repos = [makeGitRepo('demo-repo'), makeGitRepo('demo-repo'), makeGitRepo('py-repo')];
  // One turn per goal, the same for every goal, so the order the goals reach the model does not matter.
  const oneTurn: ScriptedTurn = {
    type: 'tool_calls',
    calls: [
      { name: 'write_file', arguments: { path: 'MAINTENANCE.md', content: 'Checked by the weekly maintenance.\n' } },
      { name: 'finish', arguments: { summary: 'added MAINTENANCE.md', rationale: 'the schedule asked for it' } },
    ],
  };
  stack.model.push(oneTurn, oneTurn, oneTurn);
  const scheduleId = `weekly-${RUN}`;
  const created = await runCli(
    [
      'schedule',
      'create',
      '--id',
      scheduleId,
      '--cron',
      '0 3 * * 1',
      ...repos.flatMap((r) => ['--repo', r]),
      '--goal',
      'Add a MAINTENANCE.md',
      '--check',
      'true',
      '--max-concurrent',
      '2',
    ],
    cliEnv,
  );
  expect(created.stderr).toBe('');
  expect(created.stdout).toContain(`created schedule ${scheduleId}`);
  const listed = await runCli(['schedule', 'list'], cliEnv);
  // Piped: id, state, cron, next run, repositories, goal between tabs.
  expect(listed.stdout).toMatch(
    new RegExp(
      `^${scheduleId}\tactive\t0 3 \\* \\* 1\t20\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d\t3\tAdd a MAINTENANCE.md$`,
      'm',
    ),
  );
  const shown = await runCli(['schedule', 'show', scheduleId], cliEnv);
  expect(shown.stdout).toContain('cron: 0 3 * * 1\ngoal: Add a MAINTENANCE.md\nrepositories:\n');
  for (const r of repos) expect(shown.stdout).toContain(`\n  ${r}\n`);
  expect((await runCli(['schedule', 'trigger', scheduleId], cliEnv)).code).toBe(0);

  const run = await until('the maintenance run', async () => {
    for await (const wf of stack.env.client.workflow.list({ query: "WorkflowType = 'maintenance'" }))
      if (wf.workflowId.startsWith(`maintenance-${scheduleId}`)) return wf;
    return undefined;
  });
  const result = (await stack.env.client.workflow.getHandle(run.workflowId).result()) as MaintenanceResult;
  expect(result.lines.map((l) => [l.repository, l.status])).toEqual(repos.map((r) => [r, 'succeeded']));
  expect(result.lines.every((l) => l.pr?.endsWith('.md'))).toBe(true);
  expect(result.succeeded).toBe(3);
  // The Temporal UI shows the goal as the run's and each child's summary, and each child's repository in its details.
  const described = await stack.env.client.workflow.getHandle(run.workflowId).describe();
  expect(await described.staticSummary()).toBe('Add a MAINTENANCE.md');
  const child = await stack.env.client.workflow.getHandle(result.lines[2]!.workflowId).describe();
  expect(await child.staticSummary()).toBe('Add a MAINTENANCE.md');
  expect(await child.staticDetails()).toContain(`**repository** ${repos[2]}`);

  // The cap: never more than 2 children ran at once.
  const spans = await Promise.all(
    result.lines.map(async (l) => {
      const d = await stack.env.client.workflow.getHandle(l.workflowId).describe();
      return [d.startTime.getTime(), d.closeTime!.getTime()] as const;
    }),
  );
  const overlapping = Math.max(...spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && e2 > s).length));
  expect(overlapping).toBeLessThanOrEqual(2);

  expect((await runCli(['schedule', 'pause', scheduleId], cliEnv)).stdout).toContain('paused');
  expect((await runCli(['schedule', 'delete', scheduleId], cliEnv)).stdout).toContain('deleted');
  const gone = await runCli(['schedule', 'show', scheduleId], cliEnv);
  expect(gone.code).toBe(2);
  expect(gone.stderr).toMatch(/no schedule/);
});
