/**
 * The sandbox policy against the real engine: a sandbox runs under exactly the
 * policy its worker resolved, provisionSandbox reports that policy on the
 * SandboxRef, and a container found again by name reports the policy it was
 * created under, not the finder's. Real Docker.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { defaultSandboxPolicy, sandboxPolicyView } from '../../activities/sandbox/sandbox-policy';
import { containerNameFor } from '../../activities/sandbox/names';
import { createProvisionActivities } from '../../activities/host/provision';
import { hostContext } from '../../activities/host/host-context';
import { FsArtifactStore } from '../../activities/store/fs-store';

const MIB = 1024 ** 2;
const docker = new Dockerode();
const policy = defaultSandboxPolicy({
  memoryBytes: 384 * MIB,
  cpus: 1,
  pidsLimit: 200,
  serviceImages: ['postgres:16'],
});
const sandbox = new DockerSandbox({ docker, policy });
const RUN = `${process.pid}-${randomBytes(4).toString('hex')}`;
const names: string[] = [];
let image: string;
let root: string;

beforeAll(async () => {
  image = await resolveSandboxImage();
  root = mkdtempSync(path.join(os.tmpdir(), 'drydock-policy-'));
});

afterAll(async () => {
  for (const name of names) await sandbox.destroy(name).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

test("provisionSandbox's SandboxRef carries the policy the container runs under, and the engine applied exactly it", async () => {
  const goalId = `policy-${RUN}`;
  names.push(containerNameFor(goalId));
  const activities = createProvisionActivities(
    hostContext({ sandbox, store: new FsArtifactStore(path.join(root, 'store')), host: 'policytest', image }),
  );
  const ref = await activities.provisionSandbox({ goalId });
  expect(ref.policy).toEqual(sandboxPolicyView(policy));
  expect(ref.limits).toEqual({ memoryBytes: 384 * MIB, cpus: 1, pidsLimit: 200, diskBytes: null, runtime: 'runc' });
  // What a replay or the status view sees is plain, small data.
  expect(JSON.stringify(ref.policy).length).toBeLessThan(1024);

  const h = (await docker.getContainer(ref.containerId).inspect()).HostConfig;
  expect({
    NetworkMode: h.NetworkMode,
    Memory: h.Memory,
    MemorySwap: h.MemorySwap,
    PidsLimit: h.PidsLimit,
    NanoCpus: h.NanoCpus,
    ReadonlyRootfs: h.ReadonlyRootfs,
  }).toEqual({
    NetworkMode: 'none',
    Memory: 384 * MIB,
    MemorySwap: 384 * MIB,
    PidsLimit: 200,
    NanoCpus: 1e9,
    ReadonlyRootfs: true,
  });
  // Only the policy's writable paths can be written, /tmp at its size.
  const r = await sandbox.exec(ref.containerId, [
    'bash',
    '-c',
    'touch /etc/x 2>/dev/null || echo root-read-only; touch /workspace/a ~/b /tmp/c && echo writable; df -B1 --output=size /tmp | tail -1',
  ]);
  expect(r.stdout.split('\n').slice(0, 2)).toEqual(['root-read-only', 'writable']);
  expect(Number(r.stdout.split('\n')[2])).toBe(1024 ** 3);
}, 60_000);

test("a container found again by name reports the policy it was created under, not the finder's", async () => {
  const name = `drydock-test-policy-${RUN}`;
  names.push(name);
  await sandbox.create({ name, image });
  // A worker restarted with other settings finds the same container.
  const restarted = new DockerSandbox({ docker, policy: defaultSandboxPolicy({ pidsLimit: 1000 }) });
  const again = await restarted.create({ name, image });
  expect(again.created).toBe(false);
  expect(again.policy).toEqual(sandboxPolicyView(policy));
  expect(again.limits.pidsLimit).toBe(200);
}, 60_000);
