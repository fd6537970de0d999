/** Runs the compiled `drydock` command as a user would, and captures what it printed. */
import { execFile } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../../workers/config';
import { createAgentWorker } from '../../workers/create-workers';
import { startTestEnvironment } from './test-env';

const BIN = path.join(__dirname, '..', '..', 'bin', 'drydock');
const MAIN = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** What one CLI run printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `drydock <args>` with extra environment variables. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  if (!existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npm run build` (npm test does it)');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A dev server and drydock's agent worker alone (no Docker), with its own data dir; fields are set once beforeAll has run. */
export interface AgentWorkerStack {
  env: TestWorkflowEnvironment;
  /** The worker's DRYDOCK_DATA_DIR (PR records go to prs/). */
  dataDir: string;
  /** The environment a CLI run needs to reach this stack (Temporal only: the CLI reads no data dir). */
  cliEnv: Record<string, string>;
  /** Stops the agent worker (the dev server keeps running until the suite ends). */
  stopWorker(): Promise<void>;
}

/** Starts a dev server and an agent worker before the suite and stops them after. */
export function useAgentWorker(): AgentWorkerStack {
  const stack = {} as AgentWorkerStack;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    stack.env = await startTestEnvironment();
    stack.dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-cli-'));
    const config = loadConfig({
      DRYDOCK_DATA_DIR: stack.dataDir,
      TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
    });
    worker = await createAgentWorker(stack.env.nativeConnection, config);
    running = worker.run();
    stack.cliEnv = { TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: config.namespace };
    stack.stopWorker = async () => {
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running;
    };
  }, 120_000);
  afterAll(async () => {
    await stack.stopWorker?.();
    await stack.env?.teardown();
    if (stack.dataDir) rmSync(stack.dataDir, { recursive: true, force: true });
  });
  return stack;
}
