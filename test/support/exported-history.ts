/** A goal's history as the Temporal CLI exports it, for tests that look for leaks in it. */
import { execFileSync } from 'child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalBinary } from './temporal-binary';

/** The history as `temporal workflow show --output json` prints it, with every base64 payload decoded next to it. */
export function exportedHistory(env: TestWorkflowEnvironment, workflowId: string): string {
  const json = execFileSync(
    temporalBinary(),
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      env.address,
      '--namespace',
      env.namespace ?? 'default',
      '--output',
      'json',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const decoded = [...json.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((m) =>
    Buffer.from(m[1] ?? '', 'base64').toString('utf8'),
  );
  return `${json}\n${decoded.join('\n')}`;
}
