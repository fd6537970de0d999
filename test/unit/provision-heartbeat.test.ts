/**
 * provisionSandbox heartbeats while it creates the container, so that the
 * workflow's 30 s heartbeat timeout (workflows/sandbox-lease.ts) retries a
 * provision whose worker died or whose answer was lost while Temporal's
 * database was away, instead of waiting for the 5-minute start-to-close.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createProvisionActivities } from '../../activities/host/provision';
import type { HostContext } from '../../activities/host/host-context';

test('provisionSandbox heartbeats while the container is being created', async () => {
  const env = new MockActivityEnvironment();
  let heartbeats = 0;
  const heard = new Promise<void>((resolve) =>
    env.on('heartbeat', () => {
      heartbeats++;
      resolve();
    }),
  );
  const stored = new Map<string, string>();
  const ctx = {
    deps: {
      host: 'h1',
      image: 'drydock-sandbox:test',
      store: { put: async (key: string, value: string) => void stored.set(key, value) },
      sandbox: {
        // A slow engine: the container is made only once the activity has heartbeated.
        create: async () => {
          await Promise.race([
            heard,
            new Promise((_, reject) => setTimeout(() => reject(new Error('no heartbeat in 5 s')), 5000)),
          ]);
          return { id: 'c1' };
        },
      },
    },
  } as unknown as HostContext;
  const ref = await env.run(createProvisionActivities(ctx).provisionSandbox, { goalId: 'g1' });
  expect(ref).toMatchObject({ containerId: 'c1', host: 'h1', taskQueue: 'drydock-sandbox-h1' });
  expect(heartbeats).toBeGreaterThan(0);
});
