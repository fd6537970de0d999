/** Runs drydock's real workers against a test environment, in this process. */
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type DrydockConfig } from '../../workers/config';
import { runWorkersInProcess, type WorkerOverrides } from '../../workers/create-workers';

/** Running workers and the config they run with. */
export interface RunningWorkers {
  config: DrydockConfig;
  stop(): Promise<void>;
}

/** Starts the agent and sandbox workers; env vars (e.g. OPENAI_BASE_URL) override the defaults. */
export async function startWorkers(
  env: TestWorkflowEnvironment,
  vars: Record<string, string> = {},
  overrides: WorkerOverrides = {},
): Promise<RunningWorkers> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-test-'));
  const config = loadConfig({
    DRYDOCK_DATA_DIR: dataDir,
    DRYDOCK_HOST_ID: 'testhost',
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    ...vars,
  });
  const workers = await runWorkersInProcess(env.nativeConnection, config, overrides);
  return {
    config,
    async stop() {
      await workers.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
