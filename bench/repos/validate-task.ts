/**
 * Validates a task the SWE-bench way before it counts: in the sandbox image, a
 * container gets a clone of the task repository, runs the setup with network
 * (as drydock's setup phase does), loses its network (as the agent phase
 * does), and runs the checks twice: on the broken state they must fail, with
 * the gold patch applied they must pass.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RepoTask } from './manifest';
import { gitIn, type TaskRepo } from './task-repo';

/** What validation found. */
export interface ValidationOutcome {
  valid: boolean;
  /** Why it does not count. */
  reason?: string;
  setupMs: number;
  /** The checks on the broken state: the first failing exit code (0: all passed, which makes the task invalid). */
  brokenExit: number;
  brokenMs: number;
  /** The checks with the gold patch: the first failing exit code, 0 when all passed. */
  goldExit: number;
  goldMs: number;
}

interface Ran {
  code: number;
  out: string;
  ms: number;
}

/** Runs the docker CLI; resolves with the exit code and the tail of stdout + stderr. */
function docker(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const keep = (b: Buffer) => {
      out = (out + b.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = options.timeoutMs
      ? setTimeout(() => {
          out += `\n[timed out after ${options.timeoutMs! / 1000} s]`;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 137, out, ms: Date.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the checks in order; the first failing exit code, or 0. */
async function runChecks(container: string, checks: string[], timeoutMs: number): Promise<Ran> {
  let ms = 0;
  for (const check of checks) {
    const r = await docker(['exec', container, 'bash', '-lc', check], { timeoutMs });
    ms += r.ms;
    if (r.code !== 0) return { code: r.code, out: r.out, ms };
  }
  return { code: 0, out: '', ms };
}

const tail = (s: string) => s.trim().split('\n').slice(-15).join('\n');

/** Validates one task in `image`; leaves no container and no folder behind. */
export async function validateTask(
  task: RepoTask,
  repo: TaskRepo,
  image: string,
  log: (line: string) => void,
): Promise<ValidationOutcome> {
  const work = mkdtempSync(path.join(os.tmpdir(), `drydock-bench-validate-${task.name}-`));
  const workspace = path.join(work, 'workspace');
  const name = `drydock-bench-validate-${task.name}-${randomBytes(3).toString('hex')}`;
  const outcome: ValidationOutcome = { valid: false, setupMs: 0, brokenExit: -1, brokenMs: 0, goldExit: -1, goldMs: 0 };
  try {
    gitIn(work, 'clone', '-q', repo.dir, workspace);
    // The sandbox user (uid 1000) owns the workspace, as in drydock's sandboxes.
    await docker([
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${workspace}:/w`,
      '--user',
      '0',
      image,
      'chown',
      '-R',
      '1000:1000',
      '/w',
    ]);
    // Its own bridge (as drydock's setup network is), not the engine's default one.
    const made = await docker(['network', 'create', name]);
    if (made.code !== 0) throw new Error(`docker network create ${name} failed: ${tail(made.out)}`);
    const started = await docker([
      'run',
      '-d',
      '--network',
      name,
      '--name',
      name,
      '-v',
      `${workspace}:/workspace`,
      image,
      'sleep',
      'infinity',
    ]);
    if (started.code !== 0) throw new Error(`docker run ${image} failed: ${tail(started.out)}`);
    const setup = await docker(['exec', name, 'bash', '-lc', task.setup], { timeoutMs: 900_000 });
    outcome.setupMs = setup.ms;
    if (setup.code !== 0) {
      outcome.reason = `setup exited ${setup.code}:\n${tail(setup.out)}`;
      return outcome;
    }
    // The agent phase and the checks run without network.
    const cut = await docker(['network', 'disconnect', name, name]);
    if (cut.code !== 0) throw new Error(`could not disconnect ${name} from the network: ${tail(cut.out)}`);
    log(`${task.name}: validation setup ${(setup.ms / 1000).toFixed(1)} s; checks on the broken state`);
    const broken = await runChecks(name, task.checks, 300_000);
    outcome.brokenExit = broken.code;
    outcome.brokenMs = broken.ms;
    if (broken.code === 0) {
      outcome.reason = 'the checks pass on the broken state: the injected bug is not caught';
      return outcome;
    }
    const apply = await docker(['exec', '-i', name, 'git', 'apply', '-'], { input: repo.goldPatch });
    if (apply.code !== 0) {
      outcome.reason = `the gold patch does not apply: ${tail(apply.out)}`;
      return outcome;
    }
    const gold = await runChecks(name, task.checks, 300_000);
    outcome.goldExit = gold.code;
    outcome.goldMs = gold.ms;
    if (gold.code !== 0) {
      outcome.reason = `the checks fail with the gold patch (exit ${gold.code}):\n${tail(gold.out)}`;
      return outcome;
    }
    outcome.valid = true;
    return outcome;
  } finally {
    await docker(['rm', '-f', name]);
    await docker(['network', 'rm', name]);
    rmSync(work, { recursive: true, force: true });
  }
}
