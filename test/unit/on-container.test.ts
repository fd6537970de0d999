/**
 * onContainer (activities/host/host-context.ts): a sandbox activity whose
 * host's Docker engine is gone fails as SandboxLost (the workflow provisions
 * on another host) instead of failing the goal after its retries.
 */
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { onContainer } from '../../activities/host/host-context';

/** The error Node gives for a Docker socket that is not there (as dockerode passes it on). */
function connectToMissingSocket(): Promise<never> {
  return new Promise((_, reject) => {
    const socket = net.connect(path.join(os.tmpdir(), `no-engine-${process.pid}.sock`));
    socket.once('error', reject);
  });
}

test('an engine whose socket is gone makes the activity fail as SandboxLost, not retryable', async () => {
  const env = new MockActivityEnvironment();
  const err = await env.run(onContainer(connectToMissingSocket), undefined).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'SandboxLost', nonRetryable: true });
  expect((err as Error).message).toMatch(
    /^the Docker engine of this sandbox host does not answer \(connect ENOENT .*no-engine-\d+\.sock\)/,
  );
});

test('any other error passes through as it was', async () => {
  const env = new MockActivityEnvironment();
  const boom = new Error('the command failed');
  await expect(
    env.run(
      onContainer(async () => {
        throw boom;
      }),
      undefined,
    ),
  ).rejects.toBe(boom);
});
