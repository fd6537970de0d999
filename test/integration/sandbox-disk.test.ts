/**
 * The fixed-size sandbox disk: with a 1 GiB limit a 3 GB write into the
 * workspace stops at ENOSPC within seconds, the host pays at most the limit,
 * the sandbox carries on, and removing the sandbox leaves no loop device,
 * mount or image behind. Warm pool containers get theirs; the reaper releases
 * disks whose container is gone. Real Docker, loop devices, root.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import type { Client } from '@temporalio/client';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { SandboxReaper } from '../../activities/sandbox/reaper';
import { DISK_LABEL, probeSandboxDisks, SandboxDisks } from '../../activities/sandbox/sandbox-disk';
import { SandboxPool } from '../../activities/sandbox/sandbox-pool';
import { FsArtifactStore } from '../../activities/store/fs-store';
import { loadConfig } from '../../workers/config';
import { sandboxDisksFor } from '../../workers/create-workers';

const GIB = 1024 ** 3;
const docker = new Dockerode();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-disks-'));
// Its own mount root too: a sweep here must not touch the disks of workers running beside the test.
const disks = new SandboxDisks({ root, mountRoot: path.join(root, 'mnt'), sizeBytes: GIB });
const sandbox = new DockerSandbox({ docker, disks, commandRunner: false });
const host = `disktest${process.pid}${randomBytes(3).toString('hex')}`;
const names: string[] = [];
let image: string;

function uniqueName(): string {
  const name = `drydock-test-disk-${process.pid}-${randomBytes(4).toString('hex')}`;
  names.push(name);
  return name;
}

/** What the host holds of a disk: its image file, loop devices, mount. */
function leftovers(id: string): { image: boolean; loopDevices: string; mounted: boolean; mountPoint: boolean } {
  const imageFile = disks.imageOf(id);
  return {
    image: fs.existsSync(imageFile),
    loopDevices: execFileSync('losetup', ['-j', imageFile], { encoding: 'utf8' }).trim(),
    mounted: fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${disks.mountPointOf(id)} `),
    mountPoint: fs.existsSync(disks.mountPointOf(id)),
  };
}
const NOTHING_LEFT = { image: false, loopDevices: '', mounted: false, mountPoint: false };

async function diskOf(containerId: string): Promise<string> {
  const id = (await docker.getContainer(containerId).inspect()).Config.Labels[DISK_LABEL];
  if (!id) throw new Error(`container ${containerId} has no disk`);
  return id;
}

beforeAll(async () => {
  image = await resolveSandboxImage();
  expect(await probeSandboxDisks(root, { local: true }, path.join(root, 'mnt'))).toEqual({ ok: true });
});

afterAll(async () => {
  for (const name of names) await sandbox.destroy(name).catch(() => undefined);
  for (const disk of await disks.list()) await disks.release(disk.id);
  fs.rmSync(root, { recursive: true, force: true });
});

test('a 3 GB write stops at the 1 GiB limit with ENOSPC, the host holds at most 1 GiB, and the sandbox carries on', async () => {
  const { id, limits } = await sandbox.create({ name: uniqueName(), image });
  expect(limits).toMatchObject({ diskBytes: GIB });
  const disk = await diskOf(id);
  // /workspace and the home folder are the one disk.
  const df = await sandbox.exec(id, ['df', '--output=source,size', '/workspace', '/home/drydock']);
  const [ws, home] = df.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
  expect(ws![0]).toMatch(/^\/dev\/loop\d+$/);
  expect(home![0]).toBe(ws![0]);

  const write = await sandbox.exec(
    id,
    ['bash', '-c', 'head -c 3000000000 /dev/zero > /workspace/big; echo "exit $?" >&2; stat -c %s /workspace/big'],
    { timeoutMs: 60_000 },
  );
  expect(write.stderr).toContain('No space left on device');
  expect(write.durationMs).toBeLessThan(30_000);
  const written = Number(write.stdout.trim());
  expect(written).toBeGreaterThan(0.8 * GIB);
  expect(written).toBeLessThanOrEqual(GIB);
  // The home folder is full too: it is the same disk, not the host's.
  const homeWrite = await sandbox.exec(id, ['bash', '-c', 'echo x > ~/f']);
  expect(homeWrite.stderr).toContain('No space left on device');
  // The host's disk grew by at most the limit: the image's allocated blocks.
  expect(fs.statSync(disks.imageOf(disk)).blocks * 512).toBeLessThanOrEqual(GIB);

  expect((await sandbox.exec(id, ['echo', 'alive'])).stdout).toBe('alive\n');
  const freed = await sandbox.exec(id, ['bash', '-c', 'rm /workspace/big && echo fine > ~/f && cat ~/f']);
  expect(freed.stdout).toBe('fine\n');

  await sandbox.destroy(id);
  expect(leftovers(disk)).toEqual(NOTHING_LEFT);
}, 120_000);

test('a warm pool container gets its own disk when it is made; taking it keeps it, destroying it releases it', async () => {
  const pool = new SandboxPool({ docker, image, host, size: 1, idleSeconds: 600, refillDelayMs: 60_000, disks });
  try {
    await pool.start();
    for (let i = 0; i < 100 && pool.size === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(pool.size).toBe(1);
    const warmSandbox = new DockerSandbox({ docker, pool, disks, commandRunner: false });
    const { id, limits } = await warmSandbox.create({ name: uniqueName(), image });
    expect((await docker.getContainer(id).inspect()).Config.Labels['drydock.pool']).toBe(host);
    expect(limits.diskBytes).toBe(GIB);
    const disk = await diskOf(id);
    expect(leftovers(disk)).toMatchObject({ image: true, mounted: true });
    const df = await warmSandbox.exec(id, ['df', '--output=source', '/workspace']);
    expect(df.stdout).toMatch(/\/dev\/loop\d+/);
    await warmSandbox.destroy(id);
    expect(leftovers(disk)).toEqual(NOTHING_LEFT);
  } finally {
    await pool.close();
  }
}, 120_000);

test('the reaper releases a disk whose container is gone, and keeps those in use or just made', async () => {
  const { id } = await sandbox.create({ name: uniqueName(), image });
  const kept = await diskOf(id);
  const { id: goneId } = await sandbox.create({ name: uniqueName(), image });
  const orphan = await diskOf(goneId);
  // Removed behind drydock's back (a worker that died mid-teardown): its disk stays mounted.
  await docker.getContainer(goneId).remove({ force: true });
  expect(leftovers(orphan)).toMatchObject({ image: true, mounted: true });

  const store = new FsArtifactStore(path.join(root, 'store'));
  const reaper = (diskGraceMs: number) =>
    new SandboxReaper({ docker, client: {} as Client, host, store, disks, diskGraceMs });
  await reaper(60_000).sweep();
  expect(leftovers(orphan)).toMatchObject({ image: true, mounted: true });
  await reaper(0).sweep();
  expect(leftovers(orphan)).toEqual(NOTHING_LEFT);
  expect(leftovers(kept)).toMatchObject({ image: true, mounted: true });
  expect((await sandbox.exec(id, ['bash', '-c', 'echo ok > /workspace/f && cat /workspace/f'])).stdout).toBe('ok\n');
}, 120_000);

test('without disks the workspace is an anonymous volume and the limits say it is not size-limited', async () => {
  const plain = new DockerSandbox({ docker, commandRunner: false });
  const { id, limits } = await plain.create({ name: uniqueName(), image });
  expect(limits.diskBytes).toBeNull();
  const info = await docker.getContainer(id).inspect();
  expect(info.Mounts.find((m) => m.Destination === '/workspace')?.Type).toBe('volume');
  expect(info.Config.Labels[DISK_LABEL]).toBeUndefined();
  await plain.destroy(id);

  // A worker that cannot make disks says so once and carries on without them.
  const said: string[] = [];
  const remote = loadConfig({ DRYDOCK_DATA_DIR: root, DOCKER_HOST: 'tcp://docker.example:2375' });
  expect(await sandboxDisksFor(remote, (m) => said.push(m))).toBeUndefined();
  expect(said).toEqual([
    'drydock: sandbox workspaces are not size-limited: the Docker engine is not on this machine (DOCKER_HOST), so it cannot mount a disk made here',
  ]);
  const local = loadConfig({ DRYDOCK_DATA_DIR: root, DRYDOCK_SANDBOX_DISK: '2g' });
  expect((await sandboxDisksFor(local, (m) => said.push(m)))?.sizeBytes).toBe(2 * GIB);
  expect(said).toHaveLength(1);
}, 60_000);
