/**
 * drydock's seccomp profile on real containers: in a sandbox and in a service
 * sidecar, socket(AF_VSOCK) is refused by the filter (EPERM), also in its
 * high-bits form, while AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK sockets work.
 * The same container under the engine's default profile is the control: there
 * the filter does not refuse AF_VSOCK (on a VM host the socket opens).
 */
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { DockerSandbox, sandboxContainerOptions } from '../../activities/sandbox/docker-sandbox';
import { DockerNetworks } from '../../activities/sandbox/docker-networks';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { SandboxServices } from '../../activities/sandbox/services';
import type { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../workers/config';
import { createSandboxWorkers } from '../../workers/create-workers';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker, commandRunner: false });
const services = new SandboxServices(docker, new DockerNetworks(docker));
const name = `drydock-test-seccomp-${process.pid}-${randomBytes(4).toString('hex')}`;
const EPERM = 1;

/** Prints `<family> <errno>` per family (0: the socket opened), through the raw syscall so no library second-guesses it. */
const PROBE = String.raw`
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for family, kind in [(1, 1), (2, 1), (10, 1), (16, 3), (40, 1), (0x100000028, 1)]:
    ctypes.set_errno(0)
    fd = libc.syscall(ctypes.c_long(41), ctypes.c_long(family), ctypes.c_long(kind), ctypes.c_long(0))
    print(hex(family), 0 if fd >= 0 else ctypes.get_errno())
`;

/** errno by family (as hex) from the probe's output. */
function parse(stdout: string): Record<string, number> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([family, errno]) => [family!, Number(errno)]),
  );
}

/** Runs the probe in a container by a plain engine exec, as the sandbox user. */
async function probeIn(containerId: string): Promise<Record<string, number>> {
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: ['python3', '-c', PROBE], User: '1000:1000', AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve());
  });
  // Strip the engine's 8-byte frame headers (stdout only is expected).
  const raw = Buffer.concat(chunks);
  const out: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; at += 8 + raw.readUInt32BE(at + 4))
    if (raw[at] === 1) out.push(raw.subarray(at + 8, at + 8 + raw.readUInt32BE(at + 4)));
  return parse(Buffer.concat(out).toString('utf8'));
}

let image: string;
let sandboxId: string;
const control = `${name}-control`;

beforeAll(async () => {
  image = await resolveSandboxImage();
  ({ id: sandboxId } = await sandbox.create({ name, image, labels: { 'drydock.test': 'seccomp' } }));
}, 60_000);

afterAll(async () => {
  await services.remove(name).catch(() => undefined);
  await sandbox.destroy(name);
  await docker
    .getContainer(control)
    .remove({ force: true, v: true })
    .catch(() => undefined);
});

test('under the engine default profile the filter lets socket(AF_VSOCK) through (the control)', async () => {
  const options = sandboxContainerOptions({ name: control, image, labels: { 'drydock.test': 'seccomp' } });
  options.HostConfig!.SecurityOpt = ['no-new-privileges'];
  const container = await docker.createContainer(options);
  await container.start();
  const errnos = await probeIn(container.id);
  // 0: the socket opened (a VM host with vsock); 97 (EAFNOSUPPORT): a kernel without vsock. Never the filter's EPERM.
  expect(errnos['0x28']).not.toBe(EPERM);
  expect(errnos['0x100000028']).not.toBe(EPERM);
}, 60_000);

test('in a sandbox: AF_VSOCK is refused, also as 0x100000028; AF_UNIX, AF_INET, AF_INET6, AF_NETLINK work', async () => {
  expect(await probeIn(sandboxId)).toEqual({
    '0x1': 0,
    '0x2': 0,
    '0xa': 0,
    '0x10': 0,
    '0x28': EPERM,
    '0x100000028': EPERM,
  });
  // What a user would type: Python's socket module.
  const r = await sandbox.exec(sandboxId, ['python3', '-c', 'import socket; socket.socket(40, socket.SOCK_STREAM)']);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toContain('PermissionError: [Errno 1] Operation not permitted');
  const ok = await sandbox.exec(sandboxId, [
    'python3',
    '-c',
    'import socket; socket.socket(socket.AF_UNIX); socket.socket(socket.AF_INET); print("ok")',
  ]);
  expect(ok.stdout).toBe('ok\n');
  // Node (libuv) and git still work under the profile (no io_uring).
  const node = await sandbox.exec(sandboxId, [
    'node',
    '-e',
    'require("fs").writeFileSync("/tmp/n", "x"); require("net").createServer().listen(0, function () { console.log("node ok"); this.close(); })',
  ]);
  expect(node.stdout).toBe('node ok\n');
}, 60_000);

test('in a service sidecar: AF_VSOCK is refused the same way', async () => {
  await services.start({
    containerId: sandboxId,
    containerName: name,
    goalId: `seccomp-${name}`,
    image,
    services: [{ name: 'idle', command: 'exec sleep infinity' }],
  });
  expect(await probeIn(`${name}-svc-idle`)).toEqual({
    '0x1': 0,
    '0x2': 0,
    '0xa': 0,
    '0x10': 0,
    '0x28': EPERM,
    '0x100000028': EPERM,
  });
}, 60_000);

test('a sandbox worker without the profile refuses to start, in one line naming scripts/setup', async () => {
  const config = loadConfig({
    ...process.env,
    DRYDOCK_SECCOMP_PROFILE: '/nonexistent/drydock-seccomp.json',
    DRYDOCK_POOL_SIZE: '0',
  });
  const started = createSandboxWorkers({} as NativeConnection, config);
  await expect(started).rejects.toThrow(
    /^no seccomp profile for sandboxes at \/nonexistent\/drydock-seccomp\.json: run scripts\/setup \(npm run setup\) to generate it, or set DRYDOCK_SECCOMP_PROFILE to a profile file$/,
  );
});
