/**
 * The agent phase's internet allowlist (issue 17, part 4), with real Docker,
 * iptables and the package registries: through the egress proxy `npm view`
 * works with the package-registries preset; a host off the list, a raw IP and
 * a POST (methods restricted) are refused fast with the proxy's message; a
 * direct connection and DNS that bypass the proxy fail; every request lands
 * in the goal's egress log; an allowlist entry that is not a domain is an
 * InvalidEnvironment naming the entry. The setup phase is unchanged.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { DockerNetworks, setupNetworkName } from '../../activities/sandbox/docker-networks';
import { EgressGateways, egressLogKey, egressNetworkName } from '../../activities/sandbox/egress-gateway';
import { environmentRecordKey } from '../../activities/host/goal-environment';
import { createPhaseActivities } from '../../activities/host/setup-phase';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { FsArtifactStore } from '../../activities/store/fs-store';
import { envPrelude } from '../../activities/shared/shell-env';
import type { SandboxRef } from '../../workflows/types';
import { EGRESS_PRESETS } from '../../activities/sandbox/egress-presets';

/** The npm registry's host (and PyPI's), as the package-registries preset names them. */
const NPM_HOST = EGRESS_PRESETS['package-registries'].find((h) => h.includes('npm'))!;
const PYPI_HOST = EGRESS_PRESETS['package-registries'].find((h) => h.startsWith('pypi'))!;

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const networks = new DockerNetworks(docker);
const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
const name = `drydock-test-egressproxy-${tag}`;
const goalId = `egressproxy-${tag}`;

let ref: SandboxRef;
let dataDir: string;
let store: FsArtifactStore;
let egress: EgressGateways;
let phases: ReturnType<typeof createPhaseActivities>;

/** Runs a command in the sandbox as the agent's shell tool does: with the proxy's variables. */
async function agentShell(command: string) {
  const env = await egress.proxyEnv(name);
  return sandbox.exec(ref.containerId, ['bash', '-lc', envPrelude(env) + command], { timeoutMs: 60_000 });
}

beforeAll(async () => {
  const image = await resolveSandboxImage();
  const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'egress-proxy' } });
  ref = { containerId: id, containerName: name, taskQueue: 'unused', host: 'test' };
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-egress-proxy-'));
  store = new FsArtifactStore(dataDir);
  egress = new EgressGateways({ docker, networks, store });
  phases = createPhaseActivities({ sandbox, store, networks, egress, image });
}, 120_000);

afterAll(async () => {
  await sandbox.destroy(name).catch(() => undefined);
  await networks.remove(setupNetworkName(name)).catch(() => undefined);
  await egress?.close(name);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('an allowlist entry that is not a domain fails the setup as InvalidEnvironment naming it', async () => {
  const bad = `bad-${tag}`;
  await store.put(
    environmentRecordKey(bad),
    JSON.stringify({
      text: JSON.stringify({
        internet: { mode: 'allowlist', domains: ['example.org', 'https://x.org/a', '10.0.0.1'] },
      }),
    }),
  );
  const run = phases.runSetup({ sandbox: ref, goalId: bad, agentPhase: {} });
  await expect(run).rejects.toMatchObject({ type: 'InvalidEnvironment' });
  await expect(run).rejects.toThrow(
    /\.drydock\/environment\.json: internet\.domains\[1\]: "https:\/\/x\.org\/a" is not a domain: write the host name alone, without a scheme\n.*internet\.domains\[2\]: "10\.0\.0\.1" is not a domain: an IP address is not allowed/,
  );
});

test('through the proxy only the allowlist, read-only; around it nothing', async () => {
  await store.put(
    environmentRecordKey(goalId),
    JSON.stringify({
      text: JSON.stringify({
        setup: `curl -s -o /dev/null -w "setup reached %{http_code}\\n" --max-time 20 https://${PYPI_HOST}/simple/ || true`,
        internet: { mode: 'allowlist', presets: ['package-registries'], methods: ['GET', 'HEAD', 'OPTIONS'] },
      }),
    }),
  );
  const setup = await phases.runSetup({ sandbox: ref, goalId, agentPhase: {} });
  expect(setup).toMatchObject({ ran: true, egress: egressNetworkName(name) });
  // The setup phase keeps its own route out, whatever the agent phase's policy says.
  expect(setup.logTail).toMatch(/setup reached [1-5]\d\d/);
  const isolated = await phases.isolateSandbox({ sandbox: ref });
  expect(isolated.interfaces.filter((i) => i !== 'lo')).toHaveLength(1);
  const attached = Object.keys((await docker.getContainer(name).inspect()).NetworkSettings.Networks ?? {});
  expect(attached).toEqual([egressNetworkName(name)]);

  // A registry on the preset: npm reaches it through the proxy (CONNECT, no TLS interception by drydock).
  const npm = await agentShell('npm view left-pad version --fetch-retries=0');
  expect({ exit: npm.exitCode, out: npm.stdout.trim(), err: npm.stderr.slice(-500) }).toMatchObject({
    exit: 0,
    out: expect.stringMatching(/^\d+\.\d+\.\d+$/),
  });

  // A host off the list: refused at once, with a message the model can read.
  const plain = await agentShell('curl -sS --max-time 10 http://example.com/');
  expect(plain.exitCode).toBe(0);
  expect(plain.stdout).toContain("drydock internet policy: example.com is not on this goal's allowlist");
  expect(plain.durationMs).toBeLessThan(3000);
  const tls = await agentShell('curl -sS -v --max-time 10 https://example.com/');
  expect(tls.exitCode).not.toBe(0);
  expect(tls.stderr).toMatch(/403 Forbidden by drydock internet policy/);
  expect(tls.durationMs).toBeLessThan(3000);

  // Methods restricted: a POST to plain http is refused, even to a listed host.
  const post = await agentShell(`curl -sS --max-time 10 -X POST -d x=1 http://${NPM_HOST}/`);
  expect(post.stdout).toContain('drydock internet policy: POST is refused; this goal may only GET, HEAD, OPTIONS');

  // A raw IP through the proxy is refused.
  const raw = await agentShell('curl -sS --max-time 10 http://1.1.1.1/');
  expect(raw.stdout).toContain('1.1.1.1 is a raw IP address');

  // Around the proxy: a direct connection and the sandbox's own DNS fail, fast.
  // A name the sandbox resolves itself gets no answer (Docker's resolver cannot forward it out), so it fails slowly.
  const direct = await agentShell(`curl -sS --noproxy '*' --max-time 20 https://${NPM_HOST}/`);
  expect(direct.exitCode).not.toBe(0);
  expect(direct.stderr).toMatch(/resolve|timed out/i);
  const directIp = await agentShell("curl -sS --noproxy '*' --max-time 10 http://1.1.1.1/");
  expect(directIp.exitCode).not.toBe(0);
  expect(directIp.durationMs).toBeLessThan(3000);
  const dns = await agentShell(`getent hosts ${NPM_HOST}; echo "exit $?"; nslookup ${PYPI_HOST} 2>&1 | head -3`);
  expect(dns.stdout).toMatch(/^exit 2\n/);
  expect(dns.stdout).not.toMatch(/Address:\s*\d+\.\d+\.\d+\.\d+(?!#)/);
  // The host itself, but the proxy's port: refused.
  const gateway = new URL((await egress.proxyEnv(name)).HTTP_PROXY!).hostname;
  const host = await agentShell(`curl -sS --noproxy '*' --max-time 10 http://${gateway}:22/`);
  expect(host.exitCode).not.toBe(0);
  expect(host.durationMs).toBeLessThan(3000);

  // A restarted sandbox worker serves the same sandbox again from the network's label, appending to the log.
  const env = await egress.proxyEnv(name);
  await egress.stopAll();
  const down = await sandbox.exec(ref.containerId, [
    'bash',
    '-lc',
    `${envPrelude(env)}curl -sS --max-time 5 http://example.com/`,
  ]);
  expect(down.exitCode).not.toBe(0);
  expect(down.stdout).not.toContain('drydock internet policy');
  egress = new EgressGateways({ docker, networks, store });
  const after = await agentShell('curl -sS --max-time 5 http://example.net/');
  expect(after.stdout).toContain("drydock internet policy: example.net is not on this goal's allowlist");

  // Every request through the proxy is in the goal's egress log: host, method, status, bytes.
  await egress.close(name);
  const log = (await store.get(egressLogKey(goalId, name)))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { host: string; method: string; status: number; bytesIn: number });
  expect(log).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ host: NPM_HOST, method: 'CONNECT', status: 200 }),
      expect.objectContaining({ host: 'example.com', method: 'GET', status: 403 }),
      expect.objectContaining({ host: 'example.com', method: 'CONNECT', status: 403 }),
      expect.objectContaining({ host: NPM_HOST, method: 'POST', status: 403 }),
      expect.objectContaining({ host: '1.1.1.1', method: 'GET', status: 403 }),
      expect.objectContaining({ host: 'example.net', method: 'GET', status: 403 }),
    ]),
  );
  expect(log.find((e) => e.host === NPM_HOST && e.status === 200)!.bytesIn).toBeGreaterThan(1000);
  expect(log.filter((e) => e.host === gateway)).toEqual([]);
  await expect(docker.getNetwork(egressNetworkName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });
}, 240_000);
