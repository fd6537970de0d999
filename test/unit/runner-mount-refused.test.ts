/**
 * A worker that sees a runner binary its Docker engine cannot (the worker runs in a
 * container of its own): the engine refuses the bind mount, and the sandbox is created
 * without it, serving commands by engine execs, instead of failing every goal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { RUNNER_PATH_IN_SANDBOX } from '../../activities/sandbox/runner-binary';

let dir: string;
const saved = process.env.DRYDOCK_RUNNER_BIN;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-runner-refused-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.DRYDOCK_RUNNER_BIN;
  else process.env.DRYDOCK_RUNNER_BIN = saved;
});

/** An engine that has no such file on its host: it refuses any container that bind-mounts `binary`. */
function engineWithout(binary: string): { docker: Dockerode; created: Dockerode.ContainerCreateOptions[] } {
  const created: Dockerode.ContainerCreateOptions[] = [];
  const container = {
    id: 'c1',
    start: () => Promise.resolve(),
    inspect: () => Promise.resolve({ HostConfig: {}, Config: { Labels: {} } }),
  };
  const docker = {
    getContainer: () => ({
      inspect: () => Promise.reject(Object.assign(new Error('no such container'), { statusCode: 404 })),
    }),
    createContainer: (options: Dockerode.ContainerCreateOptions) => {
      if (options.HostConfig?.Mounts?.some((m) => m.Source === binary)) {
        const message = `(HTTP code 400) bad parameter - invalid mount config for type "bind": bind source path does not exist: ${binary}`;
        return Promise.reject(Object.assign(new Error(message), { statusCode: 400 }));
      }
      created.push(options);
      return Promise.resolve(container);
    },
  };
  return { docker: docker as unknown as Dockerode, created };
}

test('an engine that cannot find the runner binary gets containers without it, and the log says so once', async () => {
  const binary = path.join(dir, 'drydock-runner');
  writeFileSync(binary, '', { mode: 0o111 });
  process.env.DRYDOCK_RUNNER_BIN = binary;
  const { docker, created } = engineWithout(binary);
  const warnings: string[] = [];
  const sandbox = new DockerSandbox({ docker, warn: (message) => warnings.push(message) });
  for (const name of ['a', 'b'])
    expect(await sandbox.create({ name, image: 'img' })).toMatchObject({ id: 'c1', created: true });
  expect(created).toHaveLength(2);
  expect(created.flatMap((o) => o.HostConfig?.Mounts ?? []).map((m) => m.Target)).not.toContain(RUNNER_PATH_IN_SANDBOX);
  expect(warnings).toEqual([expect.stringMatching(/engine execs.*cannot find .*drydock-runner on its host/)]);
});
