/**
 * The operator's sandbox limits (DRYDOCK_SANDBOX_MEMORY, _PIDS, _CPUS,
 * _RUNTIME) reach every sandbox, warm or cold, and an unknown runtime stops
 * the sandbox worker with a clear message.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AGENT_QUEUE } from '../../workflows/queues';
import { loadConfig } from '../../workers/config';
import { createSandboxWorkers } from '../../workers/create-workers';
import { startTestEnvironment } from '../support/test-env';
import { startWorkers, type RunningWorkers } from '../support/workers';

let env: TestWorkflowEnvironment;
let workers: RunningWorkers;
const RUN = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  env = await startTestEnvironment();
  workers = await startWorkers(env, {
    DRYDOCK_SANDBOX_MEMORY: '300m',
    DRYDOCK_SANDBOX_PIDS: '100',
    DRYDOCK_SANDBOX_CPUS: '0.5',
  });
}, 120_000);

afterAll(async () => {
  await workers?.stop();
  await env?.teardown();
});

test.each(['warm', 'cold'])('a %s sandbox has the operator limits', async (kind) => {
  const read = [
    'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max',
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
    'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max',
  ].join('; ');
  // Two goals at once take both warm containers, so the third is created cold.
  const runs = kind === 'warm' ? 1 : 3;
  const results = await Promise.all(
    Array.from({ length: runs }, (_, i) =>
      env.client.workflow.execute('sandboxSmoke', {
        taskQueue: AGENT_QUEUE,
        workflowId: `limits-${kind}-${i}-${RUN}`,
        args: [{ command: ['sh', '-c', read] }],
      }),
    ),
  );
  for (const r of results) {
    expect(r.exitCode).toBe(0);
    const [pids, memory, quota] = r.stdout.trim().split('\n');
    expect(pids).toBe('100');
    expect(Number(memory)).toBe(300 * 1024 * 1024);
    expect(Number(quota)).toBe(50_000); // 0.5 CPU of a 100 ms period
  }
});

test('an OCI runtime the engine does not list stops the sandbox worker with a clear message', async () => {
  const config = loadConfig({
    DRYDOCK_DATA_DIR: '/tmp',
    DRYDOCK_HOST_ID: 'badruntime',
    DRYDOCK_SANDBOX_RUNTIME: 'nosuchruntime',
  });
  await expect(createSandboxWorkers(env.nativeConnection, config)).rejects.toThrow(
    /DRYDOCK_SANDBOX_RUNTIME=nosuchruntime, but the Docker engine lists only: .*runc/,
  );
});
