/**
 * `npm run bench:repos`: drydock on real open-source projects. For each task
 * (bench/repos/tasks/<name>/manifest.json) the released source is fetched from
 * its registry, the bug injected and committed, and the task validated in the
 * sandbox image (checks fail broken, pass with the gold patch). Then a real goal
 * per valid task runs through the real stack (Temporal, drydock's workers, Docker)
 * with a scripted model that applies the gold patch; a task is solved when the
 * goal succeeds and its PR changes exactly the gold patch's files.
 *
 *   npm run bench:repos -- [--task NAME[,NAME…]] [--validate-only] [--label NAME] [--out FILE]
 */
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import { WARM_ENVIRONMENT_LABEL } from '../../activities/sandbox/container-options';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { projectRoot } from '../../activities/find-above';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import { startBenchWorkers, startTemporal } from '../harness';
import { timingsOf } from '../history';
import { startBenchModelServer, type BenchCall } from '../model-server';
import { round } from '../stats';
import { fetchSource } from './fetch-source';
import { goalText, goldScript, taskInGoal } from './gold-script';
import { loadTasks, tasksDir, type RepoTask } from './manifest';
import { gitIn, makeTaskRepo, type TaskRepo } from './task-repo';
import { validateTask, type ValidationOutcome } from './validate-task';

const ROOT = projectRoot();
const RUN = Math.random().toString(36).slice(2, 8);

interface Flags {
  tasks?: string[];
  validateOnly: boolean;
  /** A third goal per task on a warm environment (DRYDOCK_WARM_REPOS): the snapshot already in a started container. */
  warm: boolean;
  label: string;
  out?: string;
}

/** What one task gave. */
interface TaskRow {
  task: string;
  language: string;
  source: string;
  bug: string;
  fetchMs?: number;
  /** The files the gold patch changes. */
  goldFiles?: string[];
  validation?: ValidationOutcome;
  goal?: {
    workflowId: string;
    status: string;
    reason?: string;
    wallMs: number;
    /** The agent sandbox's runSetup activity. */
    setupMs: number;
    /** The clean-room checks that decided the goal. */
    checksMs: number;
    /** The whole clean-room verification (a fresh sandbox, the setup again, the checks). */
    verifyMs: number;
    filesChanged: string[];
    sameTreeAsGold: boolean;
    /** From the goal's start to its first model call being scheduled. */
    firstModelMs?: number;
  };
  /** A second goal on the same repository, started from the environment cache the first one filled. */
  cached?: {
    status: string;
    wallMs: number;
    setupMs: number;
    firstModelMs?: number;
    fromCache: boolean;
    /** The activities before the first model call, in order, with their durations. */
    beforeFirstCall?: string;
  };
  /** A third goal on the same repository with a warm environment ready (--warm). */
  warm?: { status: string; firstModelMs?: number; wasWarm: boolean; beforeFirstCall?: string };
  /** Bytes of the task's cached environment (the first goal's snapshot). */
  cacheBytes?: number;
  solved: boolean;
  error?: string;
}

function parseFlags(argv: string[]): Flags {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        task: { type: 'string', multiple: true },
        'validate-only': { type: 'boolean' },
        warm: { type: 'boolean' },
        label: { type: 'string' },
        out: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new Error(
      `${(err as Error).message.split('\n')[0]}; flags: --task NAME[,NAME…] --validate-only --warm --label NAME --out FILE`,
    );
  }
  return {
    tasks: values.task?.flatMap((t) => t.split(',')).filter(Boolean),
    validateOnly: values['validate-only'] === true,
    warm: values.warm === true,
    label: values.label ?? 'run',
    out: values.out,
  };
}

function log(line: string): void {
  process.stderr.write(`bench:repos: ${line}\n`);
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : String(round(ms / 1000, 1)));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

/** Fetches, builds and validates one task. */
async function prepare(task: RepoTask, image: string, row: TaskRow): Promise<TaskRepo | undefined> {
  const fetched = Date.now();
  const source = await fetchSource(task.source);
  row.fetchMs = Date.now() - fetched;
  const repo = makeTaskRepo(task, source);
  row.goldFiles = repo.goldFiles;
  row.validation = await validateTask(task, repo, image, log);
  if (!row.validation.valid) {
    log(`${task.name}: NOT VALID, not counted: ${row.validation.reason ?? ''}`);
    rmSync(repo.dir, { recursive: true, force: true });
    return undefined;
  }
  log(
    `${task.name}: valid (broken: checks exit ${row.validation.brokenExit}; gold: pass in ${seconds(row.validation.goldMs)} s)`,
  );
  return repo;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  let tasks = loadTasks(tasksDir(ROOT));
  if (flags.tasks) {
    const unknown = flags.tasks.filter((t) => !tasks.some((k) => k.name === t));
    if (unknown.length > 0)
      throw new Error(`--task: no task ${unknown.join(', ')} (tasks: ${tasks.map((t) => t.name).join(', ')})`);
    tasks = tasks.filter((t) => flags.tasks!.includes(t.name));
  }
  const image = process.env.DRYDOCK_SANDBOX_IMAGE ?? (await resolveSandboxImage());
  log(`${tasks.length} task(s); sandbox image ${image}`);

  const rows: TaskRow[] = [];
  const repos = new Map<string, TaskRepo>();
  for (const task of tasks) {
    const row: TaskRow = {
      task: task.name,
      language: task.language,
      source: `${task.source.registry}:${task.source.package}@${task.source.version}`,
      bug: `${task.bug.kind} in ${task.bug.file}`,
      solved: false,
    };
    rows.push(row);
    try {
      const repo = await prepare(task, image, row);
      if (repo) repos.set(task.name, repo);
    } catch (err) {
      row.error = (err as Error).message;
      log(`${task.name}: ${row.error}`);
    }
  }

  if (!flags.validateOnly && repos.size > 0) {
    const scripts = new Map<string, BenchCall[][]>();
    for (const task of tasks) {
      const repo = repos.get(task.name);
      if (repo) scripts.set(task.name, goldScript(task, repo));
    }
    const model = await startBenchModelServer((goal) => scripts.get(taskInGoal(goal) ?? '') ?? []);
    log('starting Temporal and the workers');
    const temporal = await startTemporal();
    // One environment cache for both worker sets (the warm pass restarts the workers with warm environments on).
    const envCacheDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-bench-env-cache-'));
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-bench-repos-data-'));
    const vars = {
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: 'bench',
      DRYDOCK_MODEL: 'bench',
      DRYDOCK_POOL_SIZE: '0',
      DRYDOCK_SANDBOX_IMAGE: image,
      DRYDOCK_ENV_CACHE_DIR: envCacheDir,
      DRYDOCK_DATA_DIR: dataDir,
    };
    let workers = await startBenchWorkers(temporal, vars);
    try {
      for (const task of tasks) {
        const repo = repos.get(task.name);
        const row = rows.find((r) => r.task === task.name)!;
        if (!repo) continue;
        try {
          row.goal = await runGoal(temporal.client, task, repo);
          row.solved =
            row.goal.status === 'succeeded' &&
            [...row.goal.filesChanged].sort().join('\n') === [...repo.goldFiles].sort().join('\n');
          log(`${task.name}: goal ${row.goal.status} in ${seconds(row.goal.wallMs)} s; solved: ${row.solved}`);
          row.cacheBytes = cachedBytes(workers.config.envCache.dir, row.goal.workflowId);
          // The same task again: its environment comes from the cache the first goal filled.
          const again = await runGoal(temporal.client, task, repo, 'cached');
          row.cached = {
            status: again.status,
            wallMs: again.wallMs,
            setupMs: again.setupMs,
            firstModelMs: again.firstModelMs,
            fromCache: again.fromCache,
            beforeFirstCall: again.beforeFirstCall,
          };
          log(
            `${task.name}: cached goal ${again.status}; first model call after ${seconds(again.firstModelMs)} s (cold ${seconds(row.goal.firstModelMs)} s)${again.fromCache ? '' : ' — NOT from the cache'}: ${again.beforeFirstCall ?? ''}`,
          );
        } catch (err) {
          row.error = (err as Error).message;
          log(`${task.name}: ${row.error}`);
        }
      }
      if (flags.warm) {
        await workers.stop();
        log('restarting the workers with a warm environment for every task (DRYDOCK_WARM_REPOS)');
        workers = await startBenchWorkers(temporal, {
          ...vars,
          DRYDOCK_WARM_REPOS: String(Math.min(64, tasks.length)),
        });
        for (const task of tasks) {
          const repo = repos.get(task.name);
          const row = rows.find((r) => r.task === task.name)!;
          if (!repo || !row.cached?.fromCache || row.error) continue;
          try {
            await waitForWarm(envCacheDir, row.goal!.workflowId);
            const warm = await runGoal(temporal.client, task, repo, 'warm');
            row.warm = {
              status: warm.status,
              firstModelMs: warm.firstModelMs,
              wasWarm: warm.environment?.includes('started warm') === true,
              beforeFirstCall: warm.beforeFirstCall,
            };
            log(
              `${task.name}: warm goal ${warm.status}; first model call after ${seconds(warm.firstModelMs)} s${row.warm.wasWarm ? '' : ' — NOT on a warm environment'}: ${warm.beforeFirstCall ?? ''}`,
            );
          } catch (err) {
            row.error = (err as Error).message;
            log(`${task.name}: ${row.error}`);
          }
        }
      }
    } finally {
      await workers.stop();
      await temporal.close();
      await model.close();
      rmSync(envCacheDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  for (const repo of repos.values()) rmSync(repo.dir, { recursive: true, force: true });

  const valid = rows.filter((r) => r.validation?.valid);
  const solved = rows.filter((r) => r.solved);
  const out: string[] = [];
  out.push(`drydock bench:repos (${flags.label}) · ${os.cpus().length} CPUs · ${new Date().toISOString()} · ${image}`);
  out.push('');
  out.push(
    table([
      [
        'task',
        'lang',
        'source',
        'valid',
        'setup s',
        'checks s',
        'goal s',
        '1st call cold s',
        '1st call cached s',
        ...(flags.warm ? ['1st call warm s'] : []),
        'cache MB',
        'files changed',
        'result',
      ],
      ...rows.map((r) => [
        r.task,
        r.language,
        r.source,
        r.validation ? (r.validation.valid ? 'yes' : 'NO') : '-',
        seconds(r.goal?.setupMs ?? r.validation?.setupMs),
        seconds(r.goal?.checksMs ?? r.validation?.goldMs),
        seconds(r.goal?.wallMs),
        seconds(r.goal?.firstModelMs),
        r.cached ? `${seconds(r.cached.firstModelMs)}${r.cached.fromCache ? '' : ' (miss)'}` : '-',
        ...(flags.warm ? [r.warm ? `${seconds(r.warm.firstModelMs)}${r.warm.wasWarm ? '' : ' (not warm)'}` : '-'] : []),
        r.cacheBytes === undefined ? '-' : String(round(r.cacheBytes / 1024 ** 2, 1)),
        r.goal ? r.goal.filesChanged.join(' ') || '(none)' : '-',
        r.solved
          ? `solved${r.goal?.sameTreeAsGold ? ' (= gold)' : ''}`
          : r.error
            ? 'error'
            : !r.validation?.valid
              ? 'not counted'
              : flags.validateOnly
                ? 'validated'
                : r.goal?.status === 'succeeded'
                  ? 'NOT solved: other files'
                  : `NOT solved: ${r.goal?.status ?? '?'}`,
      ]),
    ]),
  );
  for (const r of rows) {
    if (r.error) out.push(`${r.task}: ${r.error.split('\n')[0]}`);
    else if (r.validation && !r.validation.valid) out.push(`${r.task}: not valid: ${r.validation.reason ?? ''}`);
    else if (r.goal && !r.solved)
      out.push(
        `${r.task}: goal ${r.goal.status}${r.goal.reason ? ` (${r.goal.reason.split('\n')[0]})` : ''}; the PR changes ${r.goal.filesChanged.join(' ') || 'nothing'}, the gold patch ${r.goldFiles?.join(' ') ?? '?'}`,
      );
  }
  const languages = [...new Set(valid.map((r) => r.language))].sort().join(', ');
  for (const r of rows) {
    if (!r.goal?.firstModelMs || !r.cached?.firstModelMs || !r.cached.fromCache) continue;
    const ratio = r.goal.firstModelMs / r.cached.firstModelMs;
    const big = (r.cacheBytes ?? 0) >= 100 * 1024 ** 2;
    out.push(
      `${r.task}: first model call ${round(ratio, 1)}× sooner from the cache (${seconds(r.cached.firstModelMs)} s vs ${seconds(r.goal.firstModelMs)} s cold; ${round((r.cacheBytes ?? 0) / 1024 ** 2, 1)} MB cached${big ? ', ≥ 100 MB of dependencies' : ''})`,
    );
    if (r.warm?.wasWarm && r.warm.firstModelMs)
      out.push(
        `${r.task}: first model call ${round(r.goal.firstModelMs / r.warm.firstModelMs, 1)}× sooner on a warm environment (${seconds(r.warm.firstModelMs)} s)`,
      );
  }
  out.push('');
  if (flags.validateOnly) out.push(`real repos: ${valid.length}/${rows.length} tasks valid (${languages})`);
  else
    out.push(
      `real repos: ${solved.length}/${valid.length} gold solved (${languages}${rows.length > valid.length ? `; ${rows.length - valid.length} task(s) not counted` : ''})`,
    );
  const text = out.join('\n');
  process.stdout.write(`${text}\n`);
  const file =
    flags.out ??
    path.join(
      process.env.DRYDOCK_BENCH_DIR ?? path.join(ROOT, 'bench', 'results'),
      `repos-${flags.label}-${Date.now()}.json`,
    );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ label: flags.label, at: new Date().toISOString(), cpus: os.cpus().length, image, rows, table: text }, null, 2)}\n`,
  );
  log(`wrote ${file}`);
  if (rows.some((r) => r.error) || (!flags.validateOnly && solved.length < valid.length)) process.exitCode = 1;
}

/** Runs the task's goal to its end and reads what it did from its result, its history and its PR branch. */
async function runGoal(
  client: Awaited<ReturnType<typeof startTemporal>>['client'],
  task: RepoTask,
  repo: TaskRepo,
  run = 'cold',
): Promise<NonNullable<TaskRow['goal']> & { fromCache: boolean; beforeFirstCall?: string; environment?: string }> {
  const workflowId = `bench-repos-${task.name}-${run}-${RUN}`;
  log(`${task.name}: goal ${workflowId}`);
  const result = (await client.workflow.execute('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    // The checks go in the goal as well: the environment file's checks are read only where drydock supports them.
    args: [{ repository: repo.dir, goal: goalText(task), checks: task.checks }],
    workflowExecutionTimeout: '30m',
  })) as GoalResult;
  const t = timingsOf((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []);
  const span = (name: string) =>
    t.activities.filter((a) => a.name === name).reduce((n, a) => n + (a.closedMs - a.startedMs), 0);
  const branch = result.pr?.branch;
  const firstModel = t.activities
    .filter((a) => a.name === 'callModel')
    .sort((a, b) => a.scheduledMs - b.scheduledMs)[0];
  const environment =
    result.status === 'failed'
      ? undefined
      : (
          await client.workflow
            .getHandle(workflowId)
            .query<{ environment?: string }>('status')
            .catch(() => ({ environment: undefined }))
        ).environment;
  const filesChanged = branch ? gitIn(repo.dir, 'diff', '--name-only', 'main', branch).split('\n').filter(Boolean) : [];
  return {
    workflowId,
    status: result.status,
    reason: result.reason,
    wallMs: t.closedMs - t.startedMs,
    setupMs: span('runSetup'),
    checksMs: result.checks.reduce((n, c) => n + c.durationMs, 0),
    verifyMs: span('verifyChange'),
    filesChanged,
    sameTreeAsGold: branch ? gitIn(repo.dir, 'rev-parse', `${branch}^{tree}`) === repo.goldTree : false,
    firstModelMs: firstModel ? firstModel.scheduledMs - t.startedMs : undefined,
    beforeFirstCall: t.activities
      .filter((a) => !firstModel || a.closedMs <= firstModel.scheduledMs)
      .map((a) => `${a.name} ${seconds(a.closedMs - a.scheduledMs)}`)
      .join(', '),
    fromCache: environment?.startsWith('cached') === true,
    environment,
  };
}

/** Waits until a warm container of the environment a goal cached has started and has had time to take the snapshot. */
async function waitForWarm(dir: string, goalId: string): Promise<void> {
  const key = cachedEntry(dir, goalId)?.key;
  if (!key) throw new Error(`no cache entry of ${goalId} in ${dir}`);
  const docker = new Dockerode();
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const [found] = await docker.listContainers({ filters: { label: [`${WARM_ENVIRONMENT_LABEL}=${key}`] } });
    // The pool hands a container out only once its snapshot is in; give the restore time to finish.
    if (found && Date.now() / 1000 - found.Created > 15) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  log(`no warm container of ${key.slice(0, 12)} after 120 s; the goal runs without one`);
}

/** Bytes of the cached environment a goal's setup made, from its entry's meta.json on this host. */
function cachedBytes(dir: string, goalId: string): number | undefined {
  return cachedEntry(dir, goalId)?.bytes;
}

/** The meta.json of the cache entry a goal's setup made. */
function cachedEntry(dir: string, goalId: string): { key: string; bytes: number } | undefined {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    try {
      const meta = JSON.parse(readFileSync(path.join(dir, name, 'meta.json'), 'utf8')) as {
        goalId: string;
        key: string;
        bytes: number;
      };
      if (meta.goalId === goalId) return meta;
    } catch {
      // not an entry
    }
  }
  return undefined;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:repos failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
