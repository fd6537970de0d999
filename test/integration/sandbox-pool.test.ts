/**
 * The warm sandbox pool against the real Docker engine: containers are ready
 * before anyone asks, hardened like cold ones, handed out once under the goal's
 * name, refilled, replaced when idle too long, and removed on close.
 */
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { POOL_LABEL, SandboxPool } from '../../activities/sandbox/sandbox-pool';
import { defaultSandboxPolicy } from '../../activities/sandbox/sandbox-policy';

const docker = new Dockerode();
const RUN = randomBytes(3).toString('hex');
let image: string;
const pools: SandboxPool[] = [];
const names: string[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(100);
  }
}

/** A pool whose host id is unique to this test, so that nothing else touches its containers. */
async function startPool(
  size: number,
  idleSeconds = 600,
): Promise<{ pool: SandboxPool; host: string; sandbox: DockerSandbox }> {
  const host = `pooltest-${RUN}-${pools.length}`;
  const pool = new SandboxPool({ docker, image, host, size, idleSeconds, refillDelayMs: 50 });
  pools.push(pool);
  await pool.start();
  return { pool, host, sandbox: new DockerSandbox({ docker, pool }) };
}

async function poolContainers(host: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${POOL_LABEL}=${host}`] } });
}

function goalName(): string {
  const name = `drydock-pooltest-${RUN}-${names.length}`;
  names.push(name);
  return name;
}

beforeAll(async () => {
  image = await resolveSandboxImage();
});

afterAll(async () => {
  for (const pool of pools) await pool.close();
  for (const name of names)
    await docker
      .getContainer(name)
      .remove({ force: true, v: true })
      .catch(() => undefined);
});

test('the pool keeps K started containers, hardened exactly like a cold sandbox', async () => {
  const { pool, host } = await startPool(2);
  await until(() => pool.size === 2);
  const warm = await poolContainers(host);
  expect(warm).toHaveLength(2);
  expect(warm.every((c) => c.State === 'running')).toBe(true);

  const cold = await new DockerSandbox({ docker }).create({ name: goalName(), image });
  const [coldInfo, warmInfo] = await Promise.all([
    docker.getContainer(cold.id).inspect(),
    docker.getContainer(warm[0]!.Id).inspect(),
  ]);
  const hardening = (i: Dockerode.ContainerInspectInfo) => ({
    user: i.Config.User,
    cmd: i.Config.Cmd,
    image: i.Config.Image,
    network: i.HostConfig.NetworkMode,
    capDrop: i.HostConfig.CapDrop,
    securityOpt: i.HostConfig.SecurityOpt,
    readonlyRootfs: i.HostConfig.ReadonlyRootfs,
    pids: i.HostConfig.PidsLimit,
    memory: i.HostConfig.Memory,
    cpus: i.HostConfig.NanoCpus,
    tmpfs: i.HostConfig.Tmpfs,
    // The engine lists mounts in no fixed order.
    mounts: i.Mounts.map((m) => m.Destination).sort(),
  });
  expect(hardening(warmInfo)).toEqual(hardening(coldInfo));
  expect(warmInfo.HostConfig.NetworkMode).toBe('none');
});

test('provisioning takes a warm container under the goal name, once, and the pool refills', async () => {
  const { pool, host, sandbox } = await startPool(2);
  await until(() => pool.size === 2);
  const before = new Set((await poolContainers(host)).map((c) => c.Id));

  const a = goalName();
  const b = goalName();
  const first = await sandbox.create({ name: a, image });
  expect(before.has(first.id)).toBe(true);
  expect((await docker.getContainer(a).inspect()).Id).toBe(first.id);
  // Idempotent by name: the same goal gets the same container, not a second warm one.
  expect(await sandbox.create({ name: a, image })).toMatchObject({ id: first.id, created: false });
  const second = await sandbox.create({ name: b, image });
  expect(second.id).not.toBe(first.id);
  expect(before.has(second.id)).toBe(true);

  // The goal's first command runs at once in the taken container.
  const r = await sandbox.exec(first.id, ['id', '-u']);
  expect(r.stdout.trim()).toBe('1000');

  await until(() => pool.size === 2);
  const after = (await poolContainers(host)).map((c) => c.Id).filter((id) => id !== first.id && id !== second.id);
  expect(after).toHaveLength(2);
  expect(after.some((id) => before.has(id))).toBe(false);
});

test('a sandbox under another policy (fewer processes) gets a cold container, not one the pool made under its own', async () => {
  const { pool, host } = await startPool(1);
  await until(() => pool.size === 1);
  const [warm] = await poolContainers(host);
  const other = new DockerSandbox({ docker, pool, policy: defaultSandboxPolicy({ pidsLimit: 128 }) });
  const created = await other.create({ name: goalName(), image });
  expect(created.id).not.toBe(warm!.Id);
  expect(created.limits.pidsLimit).toBe(128);
  expect(pool.size).toBe(1);
  // Only how commands reach the container differs: the pool serves it.
  const engineExecs = new DockerSandbox({ docker, pool, policy: defaultSandboxPolicy({ commandRunner: false }) });
  expect((await engineExecs.create({ name: goalName(), image })).id).toBe(warm!.Id);
});

test('idle containers are replaced after the idle lifetime and close removes the rest', async () => {
  const { pool, host } = await startPool(1, 2);
  await until(() => pool.size === 1);
  const [first] = await poolContainers(host);
  await until(async () => {
    const now = await poolContainers(host);
    return now.length === 1 && now[0]!.Id !== first!.Id && pool.size === 1;
  }, 20_000);
  await pool.close();
  expect(await poolContainers(host)).toEqual([]);
});
