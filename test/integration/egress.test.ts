/**
 * Egress: the setup phase reaches a server in a container on its network but
 * not the one on the host at the Docker bridge gateway (setup-network.test.ts
 * covers every host address), and after isolateSandbox the agent phase reaches
 * neither — curl, wget, a Python socket and bash's /dev/tcp all fail fast.
 * Real Docker; only addresses on this machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox, MANAGED_LABEL } from '../../activities/sandbox/docker-sandbox';
import { DockerNetworks, setupNetworkName } from '../../activities/sandbox/docker-networks';
import { environmentRecordKey } from '../../activities/host/goal-environment';
import { createPhaseActivities } from '../../activities/host/setup-phase';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { FsArtifactStore } from '../../activities/store/fs-store';
import type { SandboxRef } from '../../workflows/types';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const networks = new DockerNetworks(docker);
const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
const name = `drydock-test-egress-${tag}`;
const serverName = `drydock-test-egress-server-${tag}`;
const testNetwork = `drydock-test-egress-net-${tag}`;
const SECRET = `setup-secret-${randomBytes(6).toString('hex')}`;

let hostServer: http.Server;
let hostTarget: string;
let containerTargetOnTestNet: string;
let containerTargetOnSetupNet: string;
let ref: SandboxRef;
let dataDir: string;
let phases: ReturnType<typeof createPhaseActivities>;

async function ipOn(container: string, network: string): Promise<string> {
  const info = await docker.getContainer(container).inspect();
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new Error(`${container} has no address on ${network}`);
  return ip;
}

beforeAll(async () => {
  const image = await resolveSandboxImage();
  // The host server listens only on the default bridge's gateway address.
  const bridge = await docker.getNetwork('bridge').inspect();
  const gateway = (bridge.IPAM?.Config?.[0] as { Gateway?: string } | undefined)?.Gateway ?? '172.17.0.1';
  hostServer = http.createServer((_req, res) => res.end('host-ok\n'));
  await new Promise<void>((resolve) => hostServer.listen(0, gateway, resolve));
  hostTarget = `${gateway}:${(hostServer.address() as AddressInfo).port}`;

  // A server container on a network this test created.
  await docker.createNetwork({
    Name: testNetwork,
    Driver: 'bridge',
    Labels: { [MANAGED_LABEL]: 'true', 'drydock.test': 'egress' },
  });
  const server = await docker.createContainer({
    name: serverName,
    Image: image,
    User: '1000:1000',
    Cmd: [
      'python3',
      '-c',
      'import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n def do_GET(s):\n  s.send_response(200); s.end_headers(); s.wfile.write(b"container-ok\\n")\nh.HTTPServer(("0.0.0.0", 8080), H).serve_forever()',
    ],
    Labels: { [MANAGED_LABEL]: 'true', 'drydock.test': 'egress' },
    HostConfig: { NetworkMode: testNetwork, CapDrop: ['ALL'] },
  });
  await server.start();
  containerTargetOnTestNet = `${await ipOn(serverName, testNetwork)}:8080`;

  const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'egress' } });
  ref = { containerId: id, containerName: name, taskQueue: 'unused', host: 'test' };
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-egress-'));
  const store = new FsArtifactStore(dataDir);
  await store.put(environmentRecordKey(`egress-${tag}`), JSON.stringify({ text: null }));
  phases = createPhaseActivities({ sandbox, store, networks, setupSecrets: { NPM_TOKEN: SECRET }, image });
  // The server joins the network drydock creates for this sandbox's setup phase too.
  const setupNet = await networks.ensureSetupNetwork(name, { 'drydock.test': 'egress' });
  await docker.getNetwork(setupNet).connect({ Container: serverName });
  containerTargetOnSetupNet = `${await ipOn(serverName, setupNet)}:8080`;
}, 120_000);

afterAll(async () => {
  await sandbox.destroy(name);
  await networks.remove(setupNetworkName(name));
  await docker
    .getContainer(serverName)
    .remove({ force: true })
    .catch(() => undefined);
  await networks.remove(testNetwork);
  await new Promise((resolve) => hostServer?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the setup phase reaches the container server (not the host) with its secret; the agent phase reaches neither, fast', async () => {
  const setup = await phases.runSetup({
    sandbox: ref,
    goalId: `egress-${tag}`,
    setup: {
      script: `curl -sf --max-time 5 http://${hostTarget}/ || echo "host refused"; curl -sf --max-time 5 http://${containerTargetOnSetupNet}/ && test "$NPM_TOKEN" = "${SECRET}" && echo "token $NPM_TOKEN"`,
      secrets: ['NPM_TOKEN'],
    },
  });
  expect(setup.ran).toBe(true);
  expect(setup.logTail).toContain('host refused');
  expect(setup.logTail).not.toContain('host-ok');
  expect(setup.logTail).toContain('container-ok');
  expect(setup.logTail).toContain('token [REDACTED:secret]');
  expect(setup.logTail).not.toContain(SECRET);

  expect(await phases.isolateSandbox({ sandbox: ref })).toEqual({ interfaces: ['lo'] });
  expect(Object.keys((await docker.getContainer(name).inspect()).NetworkSettings.Networks ?? {})).toEqual([]);
  await expect(docker.getNetwork(setupNetworkName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });

  const env = await sandbox.exec(ref.containerId, ['env']);
  expect(env.stdout).not.toContain(SECRET);

  for (const target of [hostTarget, containerTargetOnTestNet]) {
    const [host, port] = target.split(':');
    const attempts: Record<string, string[]> = {
      curl: ['curl', '-sf', '--max-time', '10', `http://${target}/`],
      wget: ['wget', '-q', '-O-', '-T', '10', '-t', '1', `http://${target}/`],
      python: [
        'python3',
        '-c',
        `import socket; socket.create_connection(("${host}", ${port}), timeout=10); print("connected")`,
      ],
      devtcp: ['bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && echo connected`],
    };
    for (const [tool, argv] of Object.entries(attempts)) {
      const r = await sandbox.exec(ref.containerId, argv, { timeoutMs: 15_000 });
      expect({ tool, target, failed: r.exitCode !== 0, fast: r.durationMs < 3000 }).toEqual({
        tool,
        target,
        failed: true,
        fast: true,
      });
      expect(r.stdout).not.toMatch(/ok|connected/);
    }
  }
}, 120_000);

test('a secret the worker does not have fails the setup with its name, and nothing runs', async () => {
  await expect(
    phases.runSetup({
      sandbox: ref,
      goalId: `egress-${tag}`,
      setup: { script: 'echo hi', secrets: ['NOT_CONFIGURED'] },
    }),
  ).rejects.toThrow(/setup secret NOT_CONFIGURED is not configured .*DRYDOCK_SETUP_SECRET_NOT_CONFIGURED/);
});
