/**
 * What clean-room verification costs the demo goal: the demo runs N times one
 * after another on workers with a warm pool, and the bench reads from each
 * history how long verifyChange took (a fresh sandbox from the pool, the base
 * commit copied in with the patch applied on the host, the checks) beside the
 * checks themselves and the whole goal.
 *
 *   npm run bench:clean-room -- [--goals 5] [--pool 2]
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { AGENT_QUEUE } from '../workflows/queues';
import type { GoalResult } from '../workflows/types';
import { demoScript, makeDemoRepo, startTemporal, startBenchWorkers } from './harness';
import { timingsOf } from './history';
import { startBenchModelServer } from './model-server';
import { percentile, round } from './stats';
import { readGoalResult } from '../cli/goal-result';

const DEMO_GOAL = 'Make the failing test in test/math.test.js pass';

function log(line: string): void {
  process.stderr.write(`bench:clean-room: ${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { goals: { type: 'string', default: '5' }, pool: { type: 'string', default: '2' } },
  });
  const goals = Number(values.goals);
  const pool = Number(values.pool);
  if (!Number.isInteger(goals) || goals < 1 || !Number.isInteger(pool) || pool < 0)
    throw new Error('--goals and --pool take whole numbers (goals at least 1)');
  const script = demoScript();
  const model = await startBenchModelServer(() => script);
  const temporal = await startTemporal();
  const workers = await startBenchWorkers(temporal, {
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: 'bench',
    DRYDOCK_MODEL: 'bench',
    DRYDOCK_POOL_SIZE: String(pool),
  });
  const repo = makeDemoRepo();
  const run = randomBytes(3).toString('hex');
  const rows: {
    goal: number;
    verify: number;
    checks: number;
    overhead: number;
    agentChecks: number;
    collect: number;
  }[] = [];
  try {
    if (pool > 0) await new Promise((r) => setTimeout(r, 4000));
    for (let i = 0; i < goals; i++) {
      const id = `bench-clean-room-${run}-${i}`;
      const result = (await temporal.client.workflow
        .start('codingAgent', {
          taskQueue: AGENT_QUEUE,
          workflowId: id,
          args: [{ repository: repo, goal: DEMO_GOAL }],
        })
        .then(readGoalResult)) as GoalResult;
      if (result.status !== 'succeeded') throw new Error(`goal ${id} ended ${result.status}: ${result.reason ?? ''}`);
      const t = timingsOf((await temporal.client.workflow.getHandle(id).fetchHistory()).events ?? []);
      const span = (name: string) =>
        t.activities.filter((a) => a.name === name).reduce((n, a) => n + (a.closedMs - a.scheduledMs), 0);
      const checks = result.checks.reduce((n, c) => n + c.durationMs, 0);
      rows.push({
        goal: t.closedMs - t.startedMs,
        verify: span('verifyChange'),
        checks,
        overhead: span('verifyChange') - checks,
        agentChecks: span('runChecks'),
        collect: span('collectChange'),
      });
      log(`goal ${i + 1}/${goals}: ${rows[rows.length - 1]!.goal} ms`);
    }
  } finally {
    await workers.stop();
    await temporal.close();
    await model.close();
  }
  const p50 = (k: keyof (typeof rows)[number]) =>
    String(
      round(
        percentile(
          rows.map((r) => r[k]),
          50,
        ),
      ),
    );
  const p95 = (k: keyof (typeof rows)[number]) =>
    String(
      round(
        percentile(
          rows.map((r) => r[k]),
          95,
        ),
      ),
    );
  const lines = [
    ['measure (ms)', 'p50', 'p95'],
    ['demo goal, start to close', p50('goal'), p95('goal')],
    ['verifyChange (clean sandbox, all of it)', p50('verify'), p95('verify')],
    ['  of which the checks themselves', p50('checks'), p95('checks')],
    ['  the rest: a fresh sandbox with the change', p50('overhead'), p95('overhead')],
    ['runChecks in the agent sandbox (feedback)', p50('agentChecks'), p95('agentChecks')],
    ['collectChange (host-made change)', p50('collect'), p95('collect')],
  ];
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((r) => r[c]!.length)));
  process.stdout.write(
    `${lines.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n')}\n`,
  );
  // The checks ran in the agent's sandbox before; now they run once, in the clean one: what is added is the rest.
  process.stdout.write(
    `clean room added per goal (verifyChange minus the checks it replaces) p50: ${p50('overhead')} ms over ${goals} demo goals, pool ${pool}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:clean-room: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
