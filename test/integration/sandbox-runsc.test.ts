/**
 * Sandboxes under gVisor (DRYDOCK_SANDBOX_RUNTIME=runsc, Debian's runsc registered
 * by `DRYDOCK_INSTALL_RUNSC=1 npm run setup`): the container runs on gVisor's
 * kernel, keeps drydock's hardening (non-root, no capabilities, no new privileges,
 * read-only root, no network in the agent phase, the pids and memory limits,
 * no AF_VSOCK), and the setup phase's egress rules hold as under runc. Runs when
 * the engine lists runsc; DRYDOCK_TEST_RUNSC=1 makes a missing runsc a failure.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { DockerNetworks, setupNetworkName } from '../../activities/sandbox/docker-networks';
import { environmentRecordKey } from '../../activities/host/goal-environment';
import { createPhaseActivities } from '../../activities/host/setup-phase';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { loadSeccompProfile, seccompProfilePath } from '../../activities/sandbox/seccomp-profile';
import { resolveSandboxPolicy } from '../../activities/sandbox/sandbox-policy';
import { FsArtifactStore } from '../../activities/store/fs-store';
import type { SandboxRef } from '../../workflows/types';

/** The engine's runtimes, asked once when the file loads (jest decides to run or skip before any hook). */
function engineRuntimes(): string[] {
  try {
    return Object.keys(
      JSON.parse(execFileSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' })) as object,
    );
  } catch {
    return [];
  }
}
const listed = engineRuntimes().includes('runsc');
if (!listed && process.env.DRYDOCK_TEST_RUNSC === '1') {
  throw new Error(
    'DRYDOCK_TEST_RUNSC=1 but the Docker engine lists no runsc: run DRYDOCK_INSTALL_RUNSC=1 npm run setup',
  );
}
const suite = listed ? describe : describe.skip;

const docker = new Dockerode();
const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
const name = `drydock-test-runsc-${tag}`;
const serverName = `drydock-test-runsc-server-${tag}`;
const SECRET = `setup-secret-${randomBytes(6).toString('hex')}`;

suite('a sandbox under gVisor (runsc)', () => {
  let sandbox: DockerSandbox;
  let ref: SandboxRef;
  let bombRef: SandboxRef;
  let hostServer: http.Server;
  let hostTarget: string;
  let serverOnSetupNet: string;
  let dataDir: string;
  let phases: ReturnType<typeof createPhaseActivities>;
  const networks = new DockerNetworks(docker);

  beforeAll(async () => {
    const file = seccompProfilePath();
    const policy = resolveSandboxPolicy(
      { runtime: 'runsc' },
      { seccompProfile: { path: file, text: loadSeccompProfile(file) }, runtimes: engineRuntimes() },
    );
    sandbox = new DockerSandbox({ docker, policy });
    const image = await resolveSandboxImage();
    const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'runsc' } });
    ref = { containerId: id, containerName: name, taskQueue: 'unused', host: 'test' };
    const bomb = await sandbox.create({ name: `${name}-bomb`, image, labels: { 'drydock.test': 'runsc' } });
    bombRef = { containerId: bomb.id, containerName: `${name}-bomb`, taskQueue: 'unused', host: 'test' };
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-runsc-'));
    const store = new FsArtifactStore(dataDir);
    await store.put(environmentRecordKey(`runsc-${tag}`), JSON.stringify({ text: null }));
    phases = createPhaseActivities({ sandbox, store, networks, setupSecrets: { NPM_TOKEN: SECRET }, image });
    // A server (under runc) on the network drydock makes for this sandbox's setup phase.
    const setupNet = await networks.ensureSetupNetwork(name, { 'drydock.test': 'runsc' });
    // A server on the host, at the host's own address on that network.
    const net = await docker.getNetwork(setupNet).inspect();
    const gateway = (net.IPAM?.Config?.[0] as { Gateway?: string } | undefined)?.Gateway;
    if (!gateway) throw new Error(`${setupNet} has no gateway address`);
    hostServer = http.createServer((_req, res) => res.end('host-ok\n'));
    await new Promise<void>((resolve, reject) => hostServer.once('error', reject).listen(0, gateway, resolve));
    hostTarget = `${gateway}:${(hostServer.address() as AddressInfo).port}`;
    const server = await docker.createContainer({
      name: serverName,
      Image: image,
      User: '1000:1000',
      Cmd: [
        'python3',
        '-c',
        'import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n def do_GET(s):\n  s.send_response(200); s.end_headers(); s.wfile.write(b"container-ok\\n")\nh.HTTPServer(("0.0.0.0", 8080), H).serve_forever()',
      ],
      Labels: { 'drydock.managed': 'true', 'drydock.test': 'runsc' },
      HostConfig: { NetworkMode: setupNet, CapDrop: ['ALL'] },
    });
    await server.start();
    const ip = (await server.inspect()).NetworkSettings.Networks[setupNet]?.IPAddress;
    serverOnSetupNet = `${ip}:8080`;
  }, 120_000);

  afterAll(async () => {
    await sandbox?.destroy(name);
    await sandbox?.destroy(`${name}-bomb`);
    await docker
      .getContainer(serverName)
      .remove({ force: true })
      .catch(() => undefined);
    await networks.remove(setupNetworkName(name));
    await new Promise((resolve) => hostServer?.close(resolve));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test("runs on gVisor's kernel, hardened as under runc", async () => {
    const info = await docker.getContainer(ref.containerId).inspect();
    expect(info.HostConfig.Runtime).toBe('runsc');
    // gVisor's sentry answers uname, not the host's kernel.
    const uname = (await sandbox.exec(ref.containerId, ['uname', '-r'])).stdout.trim();
    expect(uname).not.toBe(os.release());
    const dmesg = await sandbox.exec(ref.containerId, ['bash', '-c', 'dmesg 2>&1 | head -3']);
    expect(dmesg.stdout + dmesg.stderr).toMatch(/gVisor|Starting/i);

    const status = (await sandbox.exec(ref.containerId, ['cat', '/proc/self/status'])).stdout;
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^CapBnd:\s+0+$/m);
    // gVisor's /proc has no NoNewPrivs line: ask prctl(PR_GET_NO_NEW_PRIVS).
    const nnp = await sandbox.exec(ref.containerId, [
      'python3',
      '-c',
      'import ctypes; print(ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))',
    ]);
    expect(nnp.stdout).toBe('1\n');
    expect((await sandbox.exec(ref.containerId, ['id', '-u'])).stdout).toBe('1000\n');
    const etc = await sandbox.exec(ref.containerId, ['touch', '/etc/drydock']);
    expect(etc.exitCode).not.toBe(0);
    expect(etc.stderr).toMatch(/Read-only file system|Permission denied/);
    // The root is mounted read-only (gVisor checks the permission first, so ask the mount table).
    const root = await sandbox.exec(ref.containerId, ['awk', '$2 == "/" { print $4 }', '/proc/mounts']);
    expect(root.stdout.split(',')[0]).toBe('ro');
    const writable = await sandbox.exec(ref.containerId, [
      'bash',
      '-c',
      'touch /workspace/a /tmp/a "$HOME/a" && echo ok',
    ]);
    expect(writable.stdout).toBe('ok\n');
    expect((await sandbox.exec(ref.containerId, ['ls', '/sys/class/net'])).stdout.trim()).toMatch(/^(lo)?$/);
    // drydock's seccomp profile is not applied inside gVisor (runsc ignores the OCI filter; the sentry
    // answers the system calls): the kernel the sandbox talks to is gVisor's, not the host's.
    expect(status).toMatch(/^Seccomp:\s+0$/m);
  }, 60_000);

  test('AF_VSOCK cannot be opened; AF_INET and AF_UNIX can', async () => {
    const probe = String.raw`
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for family, kind in [(1, 1), (2, 1), (40, 1), (0x100000028, 1)]:
    ctypes.set_errno(0)
    fd = libc.syscall(ctypes.c_long(41), ctypes.c_long(family), ctypes.c_long(kind), ctypes.c_long(0))
    print(hex(family), 0 if fd >= 0 else ctypes.get_errno())
`;
    const out = (await sandbox.exec(ref.containerId, ['python3', '-c', probe])).stdout;
    const errno = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    expect(errno['0x1']).toBe('0');
    expect(errno['0x2']).toBe('0');
    expect(errno['0x28']).not.toBe('0');
    expect(errno['0x100000028']).not.toBe('0');
  }, 60_000);

  test('a fork bomb ends the whole sandbox, not the host: the limits hold the sentry too', async () => {
    // Under runc the bomb's forks fail at the pids limit and the sandbox carries on
    // (sandbox-limits.test.ts). Under Debian's runsc (ptrace platform) gVisor's own
    // threads and stub processes count against the same limit: the sentry dies and the
    // container stops; drydock then provisions a new sandbox as after any lost one.
    const bomb = await sandbox
      .exec(
        bombRef.containerId,
        ['bash', '-c', 'for i in $(seq 1 2000); do sleep 30 & done 2>/dev/null; echo started $(jobs -p | wc -l)'],
        { timeoutMs: 60_000 },
      )
      .catch((err: Error) => ({ error: err.name }));
    expect(bomb).not.toMatchObject({ stdout: 'started 2000\n' });
    let state = '';
    for (let i = 0; i < 40 && state !== 'exited'; i++) {
      state = (await docker.getContainer(bombRef.containerId).inspect()).State.Status;
      if (state !== 'exited') await new Promise((r) => setTimeout(r, 500));
    }
    expect(state).toBe('exited');
    expect((await sandbox.exec(ref.containerId, ['echo', 'alive'])).stdout).toBe('alive\n');
  }, 120_000);

  test('the setup network reaches its server and not the host; after isolation nothing answers', async () => {
    // The setup network's rules (no host) hold for gVisor's socket calls too: they leave the container's own
    // network namespace, where the engine's and drydock's rules apply.
    await networks.connect(ref.containerId, setupNetworkName(name));
    const curl = (target: string) =>
      sandbox.exec(ref.containerId, ['curl', '-sf', '--max-time', '5', `http://${target}/`], { timeoutMs: 15_000 });
    expect((await curl(serverOnSetupNet)).stdout).toBe('container-ok\n');
    const host = await curl(hostTarget);
    expect(host.exitCode).not.toBe(0);
    expect(host.stdout).not.toContain('host-ok');

    // gVisor's /sys lists no interfaces (under runc: lo); the engine says no network is attached.
    const { interfaces } = await phases.isolateSandbox({ sandbox: ref });
    expect(interfaces.filter((i) => i !== 'lo')).toEqual([]);
    expect(Object.keys((await docker.getContainer(ref.containerId).inspect()).NetworkSettings.Networks ?? {})).toEqual(
      [],
    );
    for (const target of [hostTarget, serverOnSetupNet]) {
      const r = await curl(target);
      expect({ target, failed: r.exitCode !== 0, fast: r.durationMs < 3000 }).toEqual({
        target,
        failed: true,
        fast: true,
      });
    }
  }, 120_000);

  test('a setup phase stops with SetupProcessesLeft: the engine cannot list the processes of a gVisor sandbox', async () => {
    // Docker 20.10's `top` maps gVisor's own process ids onto the host's process table, so the
    // host cannot check that no setup process outlives the setup: drydock refuses to start the
    // agent phase rather than trust the sandbox's word (docs/security.md, "gVisor").
    await expect(
      phases.runSetup({
        sandbox: ref,
        goalId: `runsc-${tag}`,
        setup: { script: `test "$NPM_TOKEN" = "${SECRET}" && echo ran`, secrets: ['NPM_TOKEN'] },
      }),
    ).rejects.toMatchObject({ type: 'SetupProcessesLeft' });
  }, 120_000);
});
