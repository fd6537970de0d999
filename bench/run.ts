/**
 * `npm run bench`: drydock's own overhead against the raw machine, in one run.
 * Step overhead, sandbox ready (cold and warm), the demo goal by phase, and N
 * concurrent goals. Prints a table and writes JSON; asserts no time.
 *
 *   npm run bench -- [--scale 10,50,100|none] [--goals 5] [--steps 10] [--raw 10] [--pool 2] [--runner on|off] [--runtime runc,runsc] [--server dev,prod] [--label before] [--out file.json]
 * --server runs the scale rows on the dev server and/or the production-shaped stack (scripts/prod-stack, brought up
 * when down) and prints them side by side; --goals 0 skips the step, ready and demo rows.
 * --runtime runs the step and ready rows once per sandbox runtime (DRYDOCK_SANDBOX_RUNTIME) and prints them side by side;
 * the first runtime also runs the scale rows.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import type { Client } from '@temporalio/client';
import { resolveSandboxImage } from '../activities/sandbox/image-tag';
import { projectRoot } from '../activities/find-above';
import { AGENT_QUEUE } from '../workflows/queues';
import type { GoalInput, GoalResult } from '../workflows/types';
import {
  phasesOf,
  sandboxHostsOf,
  sandboxReadyMs,
  stepDurationsMs,
  stepPartsMs,
  timingsOf,
  type GoalTimings,
  type StepParts,
} from './history';
import {
  connectTemporal,
  demoScript,
  makeDemoRepo,
  startBenchWorkers,
  startTemporal,
  type BenchTemporal,
} from './harness';
import { startBenchModelServer, type BenchCall } from './model-server';
import { rawCreateStartCopy, rawExec, rawRunner, rawRunnerExec } from './raw-docker';
import { percentile, round, summarize } from './stats';
import { readGoalResult } from '../cli/goal-result';
import { parseBenchFlags, type BenchFlags, type BenchServer } from './flags';
import { describeSlowestPhase, phaseSharesOf, type PhaseShare } from './phase-summary';
import { ensureProdStack, type BenchProdStack } from './prod-stack';

const ROOT = projectRoot();
const RUN = Math.random().toString(36).slice(2, 8);
const DEMO_GOAL = 'Make the failing test in test/math.test.js pass';
const STEP_COMMAND = 'cat package.json';
/** The argv the shell tool runs for STEP_COMMAND; the raw exec runs the same. */
const STEP_ARGV = ['bash', '-c', 'cd -- "$1" && exec bash -lc "$2"', 'shell', '/workspace', STEP_COMMAND];

type Flags = BenchFlags;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function stepsScript(steps: number): BenchCall[][] {
  return [
    ...Array.from({ length: steps }, () => [{ name: 'shell', arguments: { command: STEP_COMMAND } }]),
    [{ name: 'write_file', arguments: { path: 'bench.txt', content: 'bench\n' } }],
    [{ name: 'finish', arguments: { summary: 'bench', rationale: 'bench' } }],
  ];
}

async function historyOf(client: Client, workflowId: string): Promise<GoalTimings> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return timingsOf(history.events ?? []);
}

function runGoal(client: Client, workflowId: string, input: GoalInput): Promise<GoalResult> {
  return client.workflow
    .start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId,
      args: [input],
      workflowExecutionTimeout: '15m',
    })
    .then(readGoalResult);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Samples this process's RSS (the workers run in it) until stopped; returns the peak in MB. */
function sampleRss(): () => number {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  return () => {
    clearInterval(timer);
    return round(Math.max(peak, process.memoryUsage().rss) / 1024 ** 2);
  };
}

/** The workers' environment: the bench model server, this pool size, the runner flag, the sandbox runtime. */
function benchWorkerVars(
  modelUrl: string,
  pool: number,
  flags: Flags,
  runtime: string | undefined = flags.runtimes[0],
): Record<string, string> {
  return {
    ...(runtime ? { DRYDOCK_SANDBOX_RUNTIME: runtime } : {}),
    OPENAI_BASE_URL: modelUrl,
    OPENAI_API_KEY: 'bench',
    DRYDOCK_MODEL: 'bench',
    DRYDOCK_POOL_SIZE: String(pool),
    DRYDOCK_SANDBOX_RUNNER: flags.runner,
  };
}

interface SequentialOutcome {
  ready: number[];
  steps: number[];
  parts: StepParts[];
  demoPhases: Record<string, number>;
}

/** R step goals one after another, then the demo goal, on workers with this pool size. */
async function sequentialGoals(
  temporal: BenchTemporal,
  flags: Flags,
  modelUrl: string,
  repo: string,
  pool: number,
  tag: string,
  raw: RawMachine,
  runtime: string | undefined,
): Promise<SequentialOutcome> {
  const workers = await startBenchWorkers(temporal, benchWorkerVars(modelUrl, pool, flags, runtime));
  try {
    const ready: number[] = [];
    const steps: number[] = [];
    const parts: StepParts[] = [];
    // Let a pool fill before the first goal, as it would be on a worker that has been up.
    if (pool > 0) await sleep(4000);
    // One goal first to warm the code paths; it is not counted.
    for (let i = 0; i <= flags.goals; i++) {
      const id = `bench-${tag}-${RUN}-${i}`;
      const result = await runGoal(temporal.client, id, {
        repository: repo,
        goal: `bench steps: ${flags.steps} shell calls, then finish`,
        checks: ['true'],
      });
      if (result.status !== 'succeeded') throw new Error(`${id}: ${result.status}: ${result.reason ?? result.summary}`);
      if (i === 0) continue;
      // The raw machine's samples are taken between goals, so both see the same machine.
      await raw.sample(flags.raw);
      const t = await historyOf(temporal.client, id);
      const r = sandboxReadyMs(t);
      if (r !== undefined) ready.push(r);
      steps.push(...stepDurationsMs(t));
      parts.push(...stepPartsMs(t));
      if (pool > 0) await sleep(1500);
    }
    const demoId = `bench-${tag}-demo-${RUN}`;
    const demo = await runGoal(temporal.client, demoId, { repository: repo, goal: DEMO_GOAL });
    if (demo.status !== 'succeeded') throw new Error(`${demoId}: ${demo.status}: ${demo.reason ?? demo.summary}`);
    const demoPhases = phasesOf(await historyOf(temporal.client, demoId));
    return { ready, steps, parts, demoPhases };
  } finally {
    await workers.stop();
  }
}

/** The raw machine's samples, taken a few at a time between drydock's goals. */
class RawMachine {
  readonly ready: number[] = [];
  readonly exec: number[] = [];
  /** The same command through drydock's command runner, straight from this process. */
  readonly runnerExec: number[] = [];
  private count = 0;

  constructor(
    private readonly docker: Dockerode,
    private readonly image: string,
    private readonly repo: string,
  ) {}

  /** One create+start+copy, then `execs` execs of the step command in that container, and as many through a runner; removes it. */
  async sample(execs: number, record = true): Promise<void> {
    const { container, ms } = await rawCreateStartCopy(
      this.docker,
      this.image,
      `drydock-bench-raw-${RUN}-${this.count++}`,
      this.repo,
    );
    try {
      if (record) this.ready.push(ms);
      for (let j = 0; j < execs; j++) {
        const t = await rawExec(container, STEP_ARGV);
        if (record) this.exec.push(t);
      }
      const runner = await rawRunner(container);
      try {
        for (let j = 0; j < execs; j++) {
          const t = await rawRunnerExec(runner, STEP_ARGV);
          if (record) this.runnerExec.push(t);
        }
      } finally {
        runner.close();
      }
    } finally {
      await container.remove({ force: true, v: true });
    }
  }
}

interface ScaleRow {
  n: number;
  completed: number;
  wallSeconds: number;
  goalsPerMinute: number;
  p50GoalSeconds: number;
  p95GoalSeconds: number;
  peakRssMb: number;
  historyEventsPerGoal: number;
  /** The phase that takes most of the goals' time (bench/phase-summary.ts), as printed. */
  slowestPhase: string;
  /** The largest phases, mean ms per goal. */
  phases: PhaseShare[];
  /** Goals that provisioned more than one sandbox (a lost sandbox), with the hosts of their sandboxes. */
  reprovisioned: { goalId: string; hosts: string[] }[];
  /** The machine's 1-minute load average when the goals started and when the last one ended (a shared machine drifts). */
  load: { start: number; end: number };
}

async function scale(
  temporal: BenchTemporal,
  server: BenchServer,
  modelUrl: string,
  repo: string,
  n: number,
  flags: Flags,
): Promise<ScaleRow> {
  const pool = flags.pool;
  const workers = await startBenchWorkers(temporal, benchWorkerVars(modelUrl, pool, flags));
  try {
    if (pool > 0) await sleep(4000);
    const stopRss = sampleRss();
    const loadStart = os.loadavg()[0]!;
    const started = Date.now();
    const ids = Array.from({ length: n }, (_, i) => `bench-scale${n}-${server}-${RUN}-${i}`);
    const results = await Promise.allSettled(
      ids.map((id) => runGoal(temporal.client, id, { repository: repo, goal: DEMO_GOAL })),
    );
    const wallSeconds = (Date.now() - started) / 1000;
    const peakRssMb = stopRss();
    const loadEnd = os.loadavg()[0]!;
    const completed = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'succeeded').length;
    for (const r of results) if (r.status === 'rejected') log(`scale ${n} on ${server}: ${String(r.reason)}`);
    const timings = await Promise.all(ids.map((id) => historyOf(temporal.client, id)));
    const goalSeconds = timings.map((t) => (t.closedMs - t.startedMs) / 1000);
    const reprovisioned = ids
      .map((goalId, i) => ({ goalId, hosts: sandboxHostsOf(timings[i]!) }))
      .filter((g) => g.hosts.length > 1);
    return {
      n,
      completed,
      wallSeconds: round(wallSeconds, 1),
      goalsPerMinute: round((completed / wallSeconds) * 60, 1),
      p50GoalSeconds: round(percentile(goalSeconds, 50), 1),
      p95GoalSeconds: round(percentile(goalSeconds, 95), 1),
      peakRssMb,
      historyEventsPerGoal: round(timings.reduce((s, t) => s + t.events, 0) / timings.length, 1),
      slowestPhase: describeSlowestPhase(timings),
      phases: phaseSharesOf(timings)
        .slice(0, 5)
        .map((p) => ({ ...p, meanMs: round(p.meanMs), share: round(p.share, 3) })),
      reprovisioned,
      load: { start: round(loadStart, 1), end: round(loadEnd, 1) },
    };
  } finally {
    await workers.stop();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

/** "2 (bench → bench: 2)": how many goals re-provisioned, and between which hosts. */
function describeReprovisioned(goals: { hosts: string[] }[]): string {
  if (goals.length === 0) return '0';
  const counts = new Map<string, number>();
  for (const g of goals) counts.set(g.hosts.join(' → '), (counts.get(g.hosts.join(' → ')) ?? 0) + 1);
  return `${goals.length} (${[...counts].map(([h, c]) => `${h}: ${c}`).join(', ')})`;
}

/** The step, ready and demo rows (on the first server), with the raw machine beside them. */
interface StepRows {
  passes: { runtime: string; cold: SequentialOutcome; warm: SequentialOutcome }[];
  raw: RawMachine;
}

async function runStepRows(
  temporal: BenchTemporal,
  flags: Flags,
  modelUrl: string,
  repo: string,
  docker: Dockerode,
  image: string,
): Promise<StepRows> {
  const raw = new RawMachine(docker, image, repo);
  await raw.sample(3, false);
  const passes: StepRows['passes'] = [];
  for (const runtime of flags.runtimes.length > 0 ? flags.runtimes : [undefined]) {
    const on = runtime ? ` under ${runtime}` : '';
    const tag = runtime ? `-${runtime}` : '';
    log(`cold${on}: ${flags.goals} goals of ${flags.steps} steps + the demo goal (pool 0)`);
    const cold = await sequentialGoals(temporal, flags, modelUrl, repo, 0, `cold${tag}`, raw, runtime);
    log(`warm${on}: ${flags.goals} goals of ${flags.steps} steps + the demo goal (pool ${flags.pool})`);
    const warm = await sequentialGoals(temporal, flags, modelUrl, repo, flags.pool, `warm${tag}`, raw, runtime);
    passes.push({ runtime: runtime ?? 'default', cold, warm });
  }
  return { passes, raw };
}

/** The step, ready and demo tables; returns the figures for the JSON report. */
function printStepRows(out: string[], rows: StepRows, flags: Flags): Record<string, unknown> {
  const { passes, raw } = rows;
  const { cold, warm } = passes[0]!;
  const rawExecP50 = percentile(raw.exec, 50);
  const rawRunnerP50 = percentile(raw.runnerExec, 50);
  const rawReadyP50 = percentile(raw.ready, 50);
  const steps = summarize([...cold.steps, ...warm.steps]);
  const coldReady = summarize(cold.ready);
  const warmReady = summarize(warm.ready);
  out.push(
    table([
      ['measure', 'n', 'p50 ms', 'p95 ms', 'raw p50 ms', 'ratio p50'],
      [
        'agent step (model + tool via Temporal)',
        String(steps.n),
        String(steps.p50),
        String(steps.p95),
        String(round(rawExecP50, 1)),
        `${round(steps.p50 / rawExecP50, 2)}x`,
      ],
      [
        'sandbox ready, cold',
        String(coldReady.n),
        String(coldReady.p50),
        String(coldReady.p95),
        String(round(rawReadyP50, 1)),
        `${round(coldReady.p50 / rawReadyP50, 2)}x`,
      ],
      [
        `sandbox ready, warm (pool ${flags.pool})`,
        String(warmReady.n),
        String(warmReady.p50),
        String(warmReady.p95),
        String(round(rawReadyP50, 1)),
        `${round(warmReady.p50 / rawReadyP50, 2)}x`,
      ],
    ]),
  );
  const allParts = [...cold.parts, ...warm.parts];
  const partP50 = (k: keyof StepParts) =>
    round(
      percentile(
        allParts.map((p) => p[k]),
        50,
      ),
      1,
    );
  out.push(
    `agent step p50 parts: callModel activity ${partP50('model')} ms, runTool activity ${partP50('tool')} ms (of these two, waiting for a worker ${partP50('dispatch')} ms), workflow tasks ${partP50('between')} ms`,
  );
  out.push(
    `raw samples are taken between drydock's goals (${raw.ready.length} create+start+copy, ${raw.exec.length} execs)`,
  );
  out.push(
    `raw: dockerode exec of \`${STEP_COMMAND}\` (the shell tool's argv) p50 ${round(rawExecP50, 1)} ms; dockerode create+start+copy of the repository p50 ${round(rawReadyP50, 1)} ms`,
  );
  out.push(
    `raw: the same command through drydock's command runner (no Temporal) p50 ${round(rawRunnerP50, 1)} ms; ` +
      `the workers ran commands ${flags.runner === 'on' ? 'through the runner' : 'as engine execs'} (DRYDOCK_SANDBOX_RUNNER=${flags.runner}), ` +
      `so about ${round(steps.p50 - (flags.runner === 'on' ? rawRunnerP50 : rawExecP50), 1)} ms of a step's p50 is orchestration (model call, activities, workflow tasks)`,
  );
  if (passes.length > 1 || flags.runtimes.length > 0) {
    out.push('');
    out.push(`by sandbox runtime (DRYDOCK_SANDBOX_RUNTIME; the table above is ${passes[0]!.runtime}):`);
    out.push(
      table([
        [
          'runtime',
          'steps',
          'step p50 ms',
          'step p95 ms',
          'ready cold p50 ms',
          `ready warm p50 ms (pool ${flags.pool})`,
        ],
        ...passes.map((p) => {
          const st = summarize([...p.cold.steps, ...p.warm.steps]);
          return [
            p.runtime,
            String(st.n),
            String(st.p50),
            String(st.p95),
            String(summarize(p.cold.ready).p50),
            String(summarize(p.warm.ready).p50),
          ];
        }),
      ]),
    );
  }
  out.push('');
  out.push('demo goal, wall time by phase (ms):');
  const phaseNames = [...new Set([...Object.keys(cold.demoPhases), ...Object.keys(warm.demoPhases)])];
  out.push(
    table([
      ['phase', 'cold', 'warm'],
      ...phaseNames.map((p) => [p, String(cold.demoPhases[p] ?? 0), String(warm.demoPhases[p] ?? 0)]),
    ]),
  );
  return {
    passes,
    raw,
    cold,
    warm,
    steps,
    coldReady,
    warmReady,
    rawExecP50,
    rawRunnerP50,
    rawReadyP50,
  };
}

/** The scale rows of one server. */
interface ServerScale {
  server: BenchServer;
  address: string;
  rows: ScaleRow[];
}

function printScaleRows(out: string[], s: ServerScale, flags: Flags): void {
  out.push('');
  out.push(
    `concurrent demo goals on ${s.server} (${s.address}; pool ${flags.pool}; RSS is the bench process, which runs every worker):`,
  );
  const first = s.rows[0]!;
  out.push(
    table([
      [
        'N',
        'completed',
        'wall s',
        'goals/min',
        'p50 goal s',
        'p95 goal s',
        'peak RSS MB',
        'events/goal',
        'p95 growth',
        'RSS growth',
        'slowest phase (mean per goal)',
        're-provisioned',
        'load 1m start/end',
      ],
      ...s.rows.map((r) => [
        String(r.n),
        `${r.completed}/${r.n}`,
        String(r.wallSeconds),
        String(r.goalsPerMinute),
        String(r.p50GoalSeconds),
        String(r.p95GoalSeconds),
        String(r.peakRssMb),
        String(r.historyEventsPerGoal),
        `${round(r.p95GoalSeconds / first.p95GoalSeconds, 2)}x (N ${round(r.n / first.n, 1)}x)`,
        `${round(r.peakRssMb / first.peakRssMb, 2)}x`,
        r.slowestPhase,
        describeReprovisioned(r.reprovisioned),
        `${r.load.start} / ${r.load.end}`,
      ]),
    ]),
  );
}

/** Both servers' scale rows side by side, the prod/dev wall-time ratio per N, and the closing note. */
function printSideBySide(out: string[], dev: ServerScale, prod: ServerScale): void {
  out.push('');
  out.push(`side by side: dev (${dev.address}) and prod (${prod.address}, the production-shaped stack):`);
  const rows: string[][] = [
    [
      'N',
      'completed dev/prod',
      'wall s dev',
      'wall s prod',
      'prod/dev wall',
      'goals/min dev/prod',
      'p50 goal s dev/prod',
      'p95 goal s dev/prod',
      'events/goal dev/prod',
    ],
  ];
  const pairs = dev.rows
    .map((d) => ({ d, p: prod.rows.find((r) => r.n === d.n) }))
    .filter((x): x is { d: ScaleRow; p: ScaleRow } => x.p !== undefined);
  for (const { d, p } of pairs)
    rows.push([
      String(d.n),
      `${d.completed}/${p.completed} of ${d.n}`,
      String(d.wallSeconds),
      String(p.wallSeconds),
      `${round(p.wallSeconds / d.wallSeconds, 2)}x`,
      `${d.goalsPerMinute} / ${p.goalsPerMinute}`,
      `${d.p50GoalSeconds} / ${p.p50GoalSeconds}`,
      `${d.p95GoalSeconds} / ${p.p95GoalSeconds}`,
      `${d.historyEventsPerGoal} / ${p.historyEventsPerGoal}`,
    ]);
  out.push(table(rows));
  for (const { d, p } of pairs) out.push(`N ${d.n}: slowest phase on dev ${d.slowestPhase}; on prod ${p.slowestPhase}`);
  const last = pairs[pairs.length - 1];
  if (last) {
    const ratio = round(last.p.wallSeconds / last.d.wallSeconds, 2);
    out.push(
      `closing: ${last.d.n} concurrent goals, ${last.d.completed}/${last.d.n} on dev in ${last.d.wallSeconds} s, ` +
        `${last.p.completed}/${last.p.n} on prod in ${last.p.wallSeconds} s: prod/dev ${ratio}x ` +
        `(goal: within 1.3x; ${ratio <= 1.3 ? 'met' : 'not met'} in this run); ` +
        `slowest phase dev ${last.d.slowestPhase}, prod ${last.p.slowestPhase}`,
    );
  }
}

/** The server's connection: the dev server (or TEMPORAL_ADDRESS/TEMPORAL_PROFILE), or the production-shaped stack's profile. */
async function connectServer(server: BenchServer): Promise<{ temporal: BenchTemporal; stack?: BenchProdStack }> {
  if (server === 'dev') {
    log('starting Temporal (dev)');
    return { temporal: await startTemporal() };
  }
  const stack = ensureProdStack(log);
  try {
    log(
      `connecting to the production-shaped stack (${Object.entries(stack.vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
    );
    return { temporal: await connectTemporal(stack.vars), stack };
  } catch (err) {
    stack.release();
    throw err;
  }
}

async function main(): Promise<void> {
  const flags = parseBenchFlags(process.argv.slice(2));
  const docker = new Dockerode();
  const image = process.env.DRYDOCK_SANDBOX_IMAGE ?? (await resolveSandboxImage());
  const repo = makeDemoRepo();
  const demo = demoScript();
  const model = await startBenchModelServer((goal) => {
    const m = /bench steps: (\d+)/.exec(goal);
    return m ? stepsScript(Number(m[1])) : demo;
  });
  const loadBefore = os.loadavg();
  const report: Record<string, unknown> = {
    label: flags.label,
    at: new Date().toISOString(),
    cpus: os.cpus().length,
    flags,
    image,
  };
  try {
    let stepRows: StepRows | undefined;
    const servers: ServerScale[] = [];
    for (const [i, server] of flags.servers.entries()) {
      // One server at a time: the dev server is gone (and a stack this bench started is down) before the next starts.
      const { temporal, stack } = await connectServer(server);
      try {
        if (i === 0) report.temporal = temporal.address;
        if (i === 0 && flags.goals > 0) stepRows = await runStepRows(temporal, flags, model.url, repo, docker, image);
        const rows: ScaleRow[] = [];
        for (const n of flags.scale) {
          log(
            `scale on ${server}: ${n} concurrent demo goals (pool ${flags.pool}); load average ${os
              .loadavg()
              .map((l) => round(l, 2))
              .join(' ')}`,
          );
          rows.push(await scale(temporal, server, model.url, repo, n, flags));
        }
        servers.push({ server, address: temporal.address, rows });
      } finally {
        await temporal.close();
        stack?.release();
      }
    }

    const out: string[] = [];
    const loadAfter = os.loadavg();
    out.push(
      `drydock bench (${flags.label}) · ${os.cpus().length} CPUs · ${new Date().toISOString()} · load average ${loadBefore.map((l) => round(l, 2)).join(' ')} at start, ${loadAfter.map((l) => round(l, 2)).join(' ')} at end`,
    );
    if (stepRows) {
      out.push('');
      Object.assign(report, printStepRows(out, stepRows, flags));
    }
    for (const s of servers) if (s.rows.length > 0) printScaleRows(out, s, flags);
    const dev = servers.find((s) => s.server === 'dev');
    const prod = servers.find((s) => s.server === 'prod');
    if (dev && prod && dev.rows.length > 0) printSideBySide(out, dev, prod);
    const text = out.join('\n');
    process.stdout.write(`${text}\n`);
    Object.assign(report, {
      scale: servers[0]?.rows ?? [],
      servers,
      loadAverage: { start: loadBefore, end: loadAfter },
      table: text,
    });
    const file =
      flags.out ??
      path.join(
        process.env.DRYDOCK_BENCH_DIR ?? path.join(ROOT, 'bench', 'results'),
        `bench-${flags.label}-${Date.now()}.json`,
      );
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${file}`);
  } finally {
    await model.close();
    rmSync(repo, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
