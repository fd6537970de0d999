/** Finding the command runner's binary: the same place scripts/build-runner puts it, and only where sandboxes can mount it. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../../activities/find-above';
import { mountableRunnerBinary, runnerBinaryPath } from '../../activities/sandbox/runner-binary';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-runner-bin-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the worker looks where scripts/build-runner builds, keyed by the same hash of the sources', () => {
  const env = { ...process.env, DRYDOCK_CACHE_DIR: dir, DRYDOCK_RUNNER_BIN: '' };
  const built = execFileSync('bash', [path.join(projectRoot(), 'scripts', 'build-runner'), '--path'], { env })
    .toString()
    .trim();
  expect(runnerBinaryPath(env)).toBe(built);
  expect(built).toMatch(new RegExp(`^${dir}/runner-[0-9a-f]{16}/drydock-runner$`));
});

test('a binary is mountable only when it exists and the engine is on this host', () => {
  const binary = path.join(dir, 'drydock-runner');
  writeFileSync(binary, '', { mode: 0o111 });
  expect(mountableRunnerBinary({ DRYDOCK_RUNNER_BIN: binary })).toEqual({ path: binary });
  expect(mountableRunnerBinary({ DRYDOCK_RUNNER_BIN: binary, DOCKER_HOST: 'unix:///run/docker.sock' })).toEqual({
    path: binary,
  });
  expect(mountableRunnerBinary({ DRYDOCK_RUNNER_BIN: binary, DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toEqual({
    reason: expect.stringMatching(/not on this host \(DOCKER_HOST=tcp:\/\/10\.0\.0\.5:2375\)/),
  });
  expect(mountableRunnerBinary({ DRYDOCK_RUNNER_BIN: path.join(dir, 'missing') })).toEqual({
    reason: expect.stringMatching(/does not exist/),
  });
  expect(mountableRunnerBinary({ DRYDOCK_CACHE_DIR: dir })).toEqual({
    reason: expect.stringMatching(/not built .*npm run setup/),
  });
});
