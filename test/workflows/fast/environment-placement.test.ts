/**
 * Placement by cached environment (issue 17, part 2), in the workflow: the
 * first sandbox goes to the host findEnvironmentHost names, at the commit the
 * key was read from; a named host that does not take it within the loss
 * timeout is passed over and any host builds it; the status line says where
 * the environment was built and which holder was passed over or lost. Fake
 * activities, real dev server.
 */
import { sandboxHostQueue, SANDBOX_QUEUE } from '../../../workflows/queues';
import { useFakeDrydock } from '../../support/fake-workers';
import { BASE_COMMIT } from '../../support/fake-goal';
import { finish, shell, turn, writeFile } from '../../support/fake-model';
import { GHOST_HOST } from '../../support/fake-sandbox-activities';

const drydock = useFakeDrydock();

test('the first sandbox goes to the host that holds the cached environment, at the commit the key was read from', async () => {
  const goal = drydock.goal('place-cached', {
    model: [turn(writeFile('src/math.js', 'a + b'), finish('fixed'))],
    environmentHost: 'beta',
    environment: 'cached on beta, 3 h old',
  });
  const result = await goal.run({ setup: { script: 'npm ci' } });

  expect(result.status).toBe('succeeded');
  expect(goal.callsOf('findEnvironmentHost').map((c) => c.queue)).toEqual([SANDBOX_QUEUE]);
  expect(goal.callsOf('provisionSandbox').map((c) => c.queue)).toEqual([sandboxHostQueue('beta')]);
  expect(goal.inputsOf('copyRepository').map((c) => [c.sandbox.host, c.baseCommit])).toEqual([['beta', BASE_COMMIT]]);
  expect((await goal.status()).environment).toBe('cached on beta, 3 h old');
});

test('a cached host that does not take the sandbox is passed over: any host builds it, and the status says why', async () => {
  const goal = drydock.goal('place-ghost', {
    model: [turn(writeFile('src/math.js', 'a + b'), finish('fixed'))],
    environmentHost: GHOST_HOST,
    environment: 'built in 4 s',
  });
  const result = await goal.run({ setup: { script: 'npm ci' }, policy: { sandboxLossTimeoutSeconds: 2 } });

  expect(result.status).toBe('succeeded');
  expect(goal.callsOf('provisionSandbox').map((c) => c.queue)).toEqual([SANDBOX_QUEUE]);
  expect(goal.callsOf('copyRepository').map((c) => c.queue)).toEqual([sandboxHostQueue('alpha')]);
  expect((await goal.status()).environment).toBe(
    `built on alpha in 4 s (cached on ${GHOST_HOST}, passed over: its worker did not answer (SCHEDULE_TO_START timeout))`,
  );
});

test('the cached host lost mid-goal: the goal goes on elsewhere with a cold setup, and the status says so', async () => {
  const goal = drydock.goal('place-lost', {
    model: [turn(writeFile('src/math.js', 'a + b')), turn(shell('npm test', 'losesSandbox')), turn(finish('fixed'))],
    environmentHost: 'beta',
    hosts: ['alpha'],
    environment: 'built in 4 s',
  });
  const result = await goal.run({ setup: { script: 'npm ci' } });

  expect(result.status).toBe('succeeded');
  expect(goal.callsOf('provisionSandbox').map((c) => c.queue)).toEqual([sandboxHostQueue('beta'), SANDBOX_QUEUE]);
  expect(goal.inputsOf('runSetup').map((s) => s.sandbox.host)).toEqual(['beta', 'alpha']);
  expect((await goal.status()).environment).toBe('built on alpha in 4 s (the sandbox on beta was lost)');
});
