/**
 * The setup network cannot reach the host's own addresses (issue 13, item 4):
 * a server listening on 0.0.0.0 on the host is refused, fast, from a setup
 * script that dials it through the setup bridge's gateway, the default
 * bridge's gateway and every other address of the host, while the setup runs
 * and still reaches a server on its own network (the route out stays). The
 * host rule goes with the network. Real Docker and iptables.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox, MANAGED_LABEL } from '../../activities/sandbox/docker-sandbox';
import { DockerNetworks, setupBridgeName, setupNetworkName } from '../../activities/sandbox/docker-networks';
import { createPhaseActivities } from '../../activities/host/setup-phase';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { environmentRecordKey } from '../../activities/host/goal-environment';
import { FsArtifactStore } from '../../activities/store/fs-store';
import type { SandboxRef } from '../../workflows/types';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const networks = new DockerNetworks(docker);
const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
const name = `drydock-test-setupnet-${tag}`;
const serverName = `drydock-test-setupnet-server-${tag}`;
const goalId = `setupnet-${tag}`;

let hostServer: http.Server;
let port: number;
let ref: SandboxRef;
let dataDir: string;
let store: FsArtifactStore;
let phases: ReturnType<typeof createPhaseActivities>;

/** Every IPv4 address of the host but loopback, on interfaces up or down (docker0's among them). */
function hostAddresses(): string[] {
  const lines = execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).split('\n');
  const addresses = lines
    .map((l) => /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && !a.startsWith('127.'));
  return [...new Set(addresses)];
}

/** True when iptables holds the host rule of this bridge. */
function hostRuleExists(bridge: string): boolean {
  try {
    execFileSync('iptables', ['-w', '5', '-C', 'INPUT', '-i', bridge, '-j', 'REJECT'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A setup script that dials each address (the setup bridge's gateway first) and says how each attempt ended. */
function dialScript(addresses: string[], serverAddress: string): string {
  return `python3 - <<'EOF'
import socket, struct, time
route = [l.split() for l in open('/proc/net/route').read().splitlines()[1:]]
gateway = [socket.inet_ntoa(struct.pack('<L', int(r[2], 16))) for r in route if r[1] == '00000000'][0]
for label, addr, port in [('gateway', gateway, ${port})] + [('host', a, ${port}) for a in ${JSON.stringify(addresses)}] + [('server', '${serverAddress}', 8080)]:
    t = time.time()
    try:
        s = socket.create_connection((addr, port), timeout=10)
        s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')
        answer = b''
        while len(answer) < 4096:
            chunk = s.recv(4096)
            if not chunk: break
            answer += chunk
        print('%s %s connected: %s' % (label, addr, answer.split(b'\\r\\n\\r\\n')[-1].decode().strip()))
    except OSError as e:
        print('%s %s refused after %d ms: %s' % (label, addr, (time.time() - t) * 1000, e.__class__.__name__))
print('setup ran to the end')
EOF`;
}

beforeAll(async () => {
  const image = await resolveSandboxImage();
  hostServer = http.createServer((_req, res) => res.end('host-ok\n'));
  await new Promise<void>((resolve) => hostServer.listen(0, '0.0.0.0', resolve));
  port = (hostServer.address() as AddressInfo).port;
  const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'setup-network' } });
  ref = { containerId: id, containerName: name, taskQueue: 'unused', host: 'test' };
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-setupnet-'));
  store = new FsArtifactStore(dataDir);
  await store.put(environmentRecordKey(goalId), JSON.stringify({ text: null }));
  phases = createPhaseActivities({ sandbox, store, networks, image });
  // A server beside the sandbox on the network drydock makes for its setup: the route out stays.
  await networks.ensureSetupNetwork(name, { 'drydock.test': 'setup-network' });
  const server = await docker.createContainer({
    name: serverName,
    Image: image,
    User: '1000:1000',
    Cmd: [
      'python3',
      '-c',
      'import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n def do_GET(s):\n  s.send_response(200); s.end_headers(); s.wfile.write(b"server-ok\\n")\nh.HTTPServer(("0.0.0.0", 8080), H).serve_forever()',
    ],
    Labels: { [MANAGED_LABEL]: 'true', 'drydock.test': 'setup-network' },
    HostConfig: { NetworkMode: setupNetworkName(name), CapDrop: ['ALL'] },
  });
  await server.start();
}, 120_000);

afterAll(async () => {
  await sandbox.destroy(name);
  await docker
    .getContainer(serverName)
    .remove({ force: true })
    .catch(() => undefined);
  await networks.remove(setupNetworkName(name));
  await new Promise((resolve) => hostServer?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test("the setup phase is refused the host's own addresses, fast, and keeps its route out; the rule goes with the network", async () => {
  const addresses = hostAddresses();
  expect(addresses.length).toBeGreaterThan(1);
  const serverInfo = await docker.getContainer(serverName).inspect();
  const serverAddress = serverInfo.NetworkSettings.Networks[setupNetworkName(name)]?.IPAddress ?? '';
  // The host server answers on every address of the host from the host itself.
  for (const a of addresses) expect(await (await fetch(`http://${a}:${port}/`)).text()).toBe('host-ok\n');

  const setup = await phases.runSetup({
    sandbox: ref,
    goalId,
    setup: { script: dialScript(addresses, serverAddress) },
  });
  const log = (await store.get(setup.logRef!)).toString('utf8');
  expect(log).toContain('setup ran to the end');
  expect(log).toContain(`server ${serverAddress} connected: server-ok`);
  expect(log).not.toContain('host-ok');
  const attempts = [...log.matchAll(/^(gateway|host) (\S+) refused after (\d+) ms: (\w+)$/gm)];
  const gateway = attempts.find((m) => m[1] === 'gateway')?.[2];
  expect(gateway).toMatch(/^\d+\.\d+\.\d+\.1$/);
  expect(new Set(attempts.map((m) => m[2]))).toEqual(new Set([gateway, ...addresses]));
  for (const m of attempts)
    expect({ address: m[2], fast: Number(m[3]) < 3000, error: m[4] }).toEqual({
      address: m[2],
      fast: true,
      error: 'ConnectionRefusedError',
    });
  expect(hostRuleExists(setupBridgeName(name))).toBe(true);

  await phases.isolateSandbox({ sandbox: ref });
  await expect(docker.getNetwork(setupNetworkName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });
  expect(hostRuleExists(setupBridgeName(name))).toBe(false);
}, 120_000);
