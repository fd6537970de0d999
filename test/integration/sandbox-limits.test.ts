/**
 * The sandbox's limits against hostile commands: a fork bomb stops at the pids
 * limit, a memory hog is OOM-killed, and the container (and this process, the
 * worker's side) carry on. Real Docker; fails (does not skip) without it.
 */
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { defaultSandboxPolicy } from '../../activities/sandbox/sandbox-policy';

const docker = new Dockerode();
const PIDS_LIMIT = 64;
const MEMORY_BYTES = 256 * 1024 ** 2;
// The limits come from the sandbox policy (the operator's DRYDOCK_SANDBOX_PIDS and _MEMORY), never from a spec.
const sandbox = new DockerSandbox({
  docker,
  policy: defaultSandboxPolicy({ pidsLimit: PIDS_LIMIT, memoryBytes: MEMORY_BYTES }),
});
const memoryOnly = new DockerSandbox({ docker, policy: defaultSandboxPolicy({ memoryBytes: MEMORY_BYTES }) });
const name = `drydock-test-limits-${process.pid}-${randomBytes(4).toString('hex')}`;
let id: string;

beforeAll(async () => {
  const image = await resolveSandboxImage();
  ({ id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'limits' } }));
});

afterAll(async () => {
  await sandbox.destroy(name);
});

test('the default seccomp profile filters system calls', async () => {
  const info = await docker.getContainer(id).inspect();
  expect((info.HostConfig.SecurityOpt ?? []).some((o: string) => /seccomp[=:]unconfined/.test(o))).toBe(false);
  const status = await sandbox.exec(id, ['cat', '/proc/self/status']);
  expect(status.stdout).toMatch(/^Seccomp:\s+2$/m);
  // unshare(CLONE_NEWUSER) is one of the calls the default profile refuses without CAP_SYS_ADMIN.
  const unshare = await sandbox.exec(id, ['unshare', '--user', 'true']);
  expect(unshare.exitCode).not.toBe(0);
});

test('a fork bomb stops at the pids limit and the sandbox carries on', async () => {
  const bomb = String.raw`
import os, signal, sys, time
children = []
try:
    while True:
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
except OSError as e:
    print(len(children), e.errno)
for pid in children:
    os.kill(pid, signal.SIGKILL)
for pid in children:
    os.waitpid(pid, 0)
`;
  const result = await sandbox.exec(id, ['python3', '-c', bomb], { timeoutMs: 30_000 });
  expect(result.exitCode).toBe(0);
  const [forked, errno] = result.stdout.trim().split(' ').map(Number);
  expect(errno).toBe(11); // EAGAIN: the cgroup's pids limit
  expect(forked).toBeGreaterThan(10);
  expect(forked).toBeLessThan(PIDS_LIMIT);

  // A classic shell fork bomb, killed at its timeout; afterwards commands run again.
  const shellBomb = await sandbox.exec(id, ['bash', '-c', 'b() { b | b & }; b'], { timeoutMs: 3000 });
  expect(shellBomb.durationMs).toBeLessThan(15_000);
  await sandbox
    .exec(id, ['bash', '-c', 'pkill -KILL -u 1000 -x bash; true'], { timeoutMs: 5000 })
    .catch(() => undefined);
  let alive = '';
  for (let i = 0; i < 20 && alive !== 'alive\n'; i++) {
    alive = (await sandbox.exec(id, ['echo', 'alive'], { timeoutMs: 5000 }).catch(() => ({ stdout: '' }))).stdout;
    if (alive !== 'alive\n') await new Promise((r) => setTimeout(r, 500));
  }
  expect(alive).toBe('alive\n');
}, 90_000);

test('a memory hog is OOM-killed; the container and the caller live on', async () => {
  // A container of its own: what is left of the fork bombs above must not decide this test.
  const image = await resolveSandboxImage();
  const { id: memId } = await memoryOnly.create({ name: `${name}-mem`, image, labels: { 'drydock.test': 'limits' } });
  try {
    const hog = await memoryOnly.exec(
      memId,
      ['python3', '-c', 'b = bytearray(1024 * 1024 * 1024); print("allocated")'],
      { timeoutMs: 60_000 },
    );
    expect(hog.exitCode).toBe(137);
    expect(hog.timedOut).toBe(false);
    expect(hog.stdout).not.toContain('allocated');
    expect(await memoryOnly.isRunning(memId)).toBe(true);
    expect((await memoryOnly.exec(memId, ['echo', 'alive'])).stdout).toBe('alive\n');
  } finally {
    await memoryOnly.destroy(memId);
  }
}, 90_000);
