/**
 * Service sidecars: a service the repository's environment file declares runs
 * beside the sandbox on an internal network, the agent phase reaches it by
 * name and nothing else (not the host, not the outside), and it goes with the
 * sandbox. Real Docker; only addresses on this machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { DockerNetworks } from '../../activities/sandbox/docker-networks';
import { environmentRecordKey } from '../../activities/host/goal-environment';
import { createPhaseActivities } from '../../activities/host/setup-phase';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import {
  assertServiceImagesAllowed,
  SandboxServices,
  servicesNetworkName,
  SIDECAR_OF_LABEL,
} from '../../activities/sandbox/services';
import { checkSeccompProfile } from '../../activities/sandbox/seccomp-profile';
import { defaultSandboxPolicy } from '../../activities/sandbox/sandbox-policy';
import { FsArtifactStore } from '../../activities/store/fs-store';
import type { SandboxRef } from '../../workflows/types';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const networks = new DockerNetworks(docker);
const services = new SandboxServices(docker, networks);
const name = `drydock-test-services-${process.pid}-${randomBytes(4).toString('hex')}`;

let hostServer: http.Server;
let port: number;
let ref: SandboxRef;
let dataDir: string;
let store: FsArtifactStore;
let phases: ReturnType<typeof createPhaseActivities>;

const ENVIRONMENT = {
  services: [
    {
      name: 'cache',
      command:
        'mkdir -p /tmp/www && echo service-ok > /tmp/www/index.html && exec python3 -m http.server 8080 --directory /tmp/www',
      ready: 'python3 -c "import urllib.request; urllib.request.urlopen(\'http://localhost:8080/\')"',
    },
  ],
};

beforeAll(async () => {
  const image = await resolveSandboxImage();
  hostServer = http.createServer((_req, res) => res.end('host-ok\n'));
  await new Promise<void>((resolve) => hostServer.listen(0, '0.0.0.0', resolve));
  port = (hostServer.address() as AddressInfo).port;
  const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'services' } });
  ref = { containerId: id, containerName: name, taskQueue: 'unused', host: 'test' };
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-services-'));
  store = new FsArtifactStore(dataDir);
  // The environment file as copyRepository records it from the base commit (setup never reads it from the workspace).
  await store.put(environmentRecordKey(`services-${name}`), JSON.stringify({ text: JSON.stringify(ENVIRONMENT) }));
  phases = createPhaseActivities({ sandbox, store, networks, services, image });
}, 120_000);

afterAll(async () => {
  await sandbox.destroy(name);
  await services.remove(name);
  await new Promise((resolve) => hostServer?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the agent phase reaches a declared service by name and nothing else; the service goes with the sandbox', async () => {
  const setup = await phases.runSetup({ sandbox: ref, goalId: `services-${name}` });
  expect(setup).toEqual({ ran: true, services: ['cache'] });
  const isolated = await phases.isolateSandbox({ sandbox: ref });
  expect(isolated.interfaces).toContain('lo');
  expect(isolated.interfaces).toHaveLength(2);

  const reached = await sandbox.exec(ref.containerId, ['curl', '-sf', '--max-time', '5', 'http://cache:8080/']);
  expect(reached.stdout).toBe('service-ok\n');

  // Nothing but the service: not the host through any gateway, not the outside.
  const internal = await docker.getNetwork(servicesNetworkName(name)).inspect();
  expect(internal.Internal).toBe(true);
  const internalGateway = (internal.IPAM?.Config?.[0] as { Gateway?: string } | undefined)?.Gateway;
  const bridge = await docker.getNetwork('bridge').inspect();
  const bridgeGateway = (bridge.IPAM?.Config?.[0] as { Gateway?: string } | undefined)?.Gateway ?? '172.17.0.1';
  for (const host of [bridgeGateway, internalGateway].filter((h): h is string => Boolean(h))) {
    for (const container of [ref.containerId, `${name}-svc-cache`]) {
      const r = await docker.getContainer(container).exec({
        Cmd: [
          'python3',
          '-c',
          // Spelled apart: Python 3.13 echoes the -c source in a traceback, which must not read as success.
          `import socket; socket.create_connection(("${host}", ${port}), timeout=3); print("con" + "nected")`,
        ],
        AttachStdout: true,
        AttachStderr: true,
      });
      const started = Date.now();
      const stream = await r.start({ hijack: true, stdin: false });
      let out = '';
      await new Promise<void>((resolve) => {
        stream.on('data', (d: Buffer) => (out += d.toString()));
        stream.on('end', () => resolve());
      });
      expect({ host, container, connected: out.includes('connected') }).toEqual({ host, container, connected: false });
      expect(Date.now() - started).toBeLessThan(2500);
    }
  }

  await services.remove(name);
  expect(await docker.listContainers({ all: true, filters: { label: [`${SIDECAR_OF_LABEL}=${name}`] } })).toEqual([]);
  await expect(docker.getNetwork(servicesNetworkName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });
}, 120_000);

test('a malformed services declaration is a clear, hopeless failure', async () => {
  await store.put(
    environmentRecordKey(`services-${name}`),
    JSON.stringify({ text: '{"services":[{"name":"Bad Name","command":"x"}]}' }),
  );
  await expect(phases.runSetup({ sandbox: ref, goalId: `services-${name}` })).rejects.toThrow(
    /\.drydock\/environment\.json: services\[0\]\.name: must be a lower-case host name/,
  );
});

test('a service whose image the operator does not allow is refused in one clear message (setup fails), before anything is created', async () => {
  // What runSetup hands over for an environment file declaring { name: db, image: postgres:16 }.
  const refused = services.start({
    containerId: ref.containerId,
    containerName: name,
    goalId: `services-${name}`,
    image: await resolveSandboxImage(),
    services: [
      { name: 'web', command: 'exec sleep infinity' },
      { name: 'db', image: 'postgres:16', command: 'postgres' },
    ],
  });
  await expect(refused).rejects.toThrow(
    /^service db: image postgres:16 is not allowed on this sandbox host; its operator allows .* \(add more with DRYDOCK_SERVICE_IMAGES\)$/,
  );
  await expect(refused).rejects.toMatchObject({ type: 'ServiceImageNotAllowed', nonRetryable: true });
  expect(await docker.listContainers({ all: true, filters: { label: [`${SIDECAR_OF_LABEL}=${name}`] } })).toEqual([]);
  await expect(docker.getNetwork(servicesNetworkName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });

  // Listed by the operator (here: another tag of the sandbox image), the same image name is accepted.
  expect(() =>
    assertServiceImagesAllowed([{ name: 'db', image: 'postgres', command: 'x' }], 'sandbox:1', ['postgres:latest']),
  ).not.toThrow();
  expect(() => assertServiceImagesAllowed([{ name: 'db', command: 'x' }], 'sandbox:1')).not.toThrow();
  expect(() =>
    assertServiceImagesAllowed([{ name: 'db', image: 'docker.io/library/postgres:16', command: 'x' }], 'sandbox:1', [
      'postgres:16',
    ]),
  ).toThrow(/not allowed/);
});

test("a service runs as hardened and limited as the sandbox: read-only root, drydock's seccomp profile, the operator's limits and runtime, no extra swap", async () => {
  const limits = { memoryBytes: 512 * 1024 ** 2, cpus: 0.5, pidsLimit: 100, runtime: 'runc' };
  const limited = new SandboxServices(docker, networks, { policy: defaultSandboxPolicy(limits) });
  const image = await resolveSandboxImage();
  try {
    await limited.start({
      containerId: ref.containerId,
      containerName: name,
      goalId: `services-${name}`,
      image,
      services: [{ name: 'idle', command: 'exec sleep infinity' }],
    });
    const info = await docker.getContainer(`${name}-svc-idle`).inspect();
    const h = info.HostConfig;
    expect(h.ReadonlyRootfs).toBe(true);
    expect(h.CapDrop).toEqual(['ALL']);
    expect(h.SecurityOpt).toContain('no-new-privileges');
    const seccomp = (h.SecurityOpt ?? []).find((o: string) => o.startsWith('seccomp='));
    expect(seccomp && checkSeccompProfile(JSON.parse(seccomp.slice('seccomp='.length)))).toEqual([]);
    expect({
      Memory: h.Memory,
      MemorySwap: h.MemorySwap,
      NanoCpus: h.NanoCpus,
      PidsLimit: h.PidsLimit,
      Runtime: (h as { Runtime?: string }).Runtime,
    }).toEqual({
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: 0.5e9,
      PidsLimit: 100,
      Runtime: 'runc',
    });
    expect(Object.keys(h.Tmpfs ?? {}).sort()).toEqual(['/home/drydock', '/tmp']);
    // The root really is read-only to the service.
    const exec = await docker.getContainer(`${name}-svc-idle`).exec({
      Cmd: ['bash', '-c', 'touch /etc/x 2>&1; touch /tmp/x && echo tmp-ok'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    let out = '';
    await new Promise<void>((resolve) => {
      stream.on('data', (d: Buffer) => (out += d.toString()));
      stream.on('end', () => resolve());
    });
    expect(out).toContain('Read-only file system');
    expect(out).toContain('tmp-ok');
  } finally {
    await limited.remove(name);
  }
}, 60_000);
