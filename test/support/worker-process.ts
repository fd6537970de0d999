/**
 * drydock's workers as child processes (the compiled entry points), so that a
 * test can kill one with SIGKILL the way a crash or an OOM killer would.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import { existsSync, rmSync } from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** A worker running in a child process. */
export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything it printed. */
  output(): string;
  /** Resolves with the exit code (or null after a signal). */
  readonly exited: Promise<number | null>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Compiles the workers into a folder of this test run (so that concurrent runs
 * and `npm run build` do not step on each other) and returns it; removeBuild()
 * deletes it.
 */
export function buildWorkers(tag: string): string {
  const outDir = path.join(ROOT, '.data', `workers-${tag}`);
  const entry = path.join(outDir, 'workers', 'all-workers.js');
  if (!existsSync(entry)) {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', outDir, '--incremental', 'false'], {
        cwd: ROOT,
        stdio: 'pipe',
      });
    } catch (err) {
      // tsc still emits when some other file of the build has a type error; the workers are what counts here.
      if (!existsSync(entry)) throw err;
    }
  }
  return outDir;
}

/** Deletes a build made by buildWorkers. */
export function removeBuild(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
}

/** Starts `node <outDir>/workers/<entry>.js` with these variables; resolves once it polls. */
export async function startWorkerProcess(
  outDir: string,
  entry: 'agent-worker' | 'sandbox-worker' | 'all-workers',
  name: string,
  vars: Record<string, string>,
): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--enable-source-maps', path.join(outDir, 'workers', `${entry}.js`)],
    {
      cwd: ROOT,
      env: { ...process.env, ...vars },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not start in 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (/drydock .* worker: /.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${name} exited with ${code} before it started:\n${out}`));
    });
  });
  return {
    name,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
