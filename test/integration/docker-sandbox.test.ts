/**
 * The Sandbox contract against a real Docker engine and the drydock sandbox image.
 * Fails (does not skip) when Docker or the image is missing.
 */
import { createHash, randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { DockerSandbox, MANAGED_LABEL } from '../../activities/sandbox/docker-sandbox';
import { SandboxNotFoundError } from '../../activities/sandbox/errors';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { RUNNER_PATH_IN_SANDBOX } from '../../activities/sandbox/runner-binary';

const docker = new Dockerode();
// Every test runs twice: commands through the runner kept in the container, and one engine exec each.
const modes = [
  { mode: 'command runner', sandbox: new DockerSandbox({ docker }) },
  { mode: 'engine exec', sandbox: new DockerSandbox({ docker, commandRunner: false }) },
];
let sandbox = modes[0]!.sandbox;
const created = new Set<string>();
let image: string;
let id: string;

/** A container name unique to this run, removed in afterAll. */
function uniqueName(): string {
  const name = `drydock-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  created.add(name);
  return name;
}

/** The HTTP status of a failed engine call. */
async function statusOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    return (err as { statusCode?: number }).statusCode;
  }
}

beforeAll(async () => {
  await docker.ping();
  image = await resolveSandboxImage();
  await docker.getImage(image).inspect();
});

afterAll(async () => {
  for (const name of created) await modes[1]!.sandbox.destroy(name);
});

describe.each(modes)('DockerSandbox ($mode)', (m) => {
  beforeAll(async () => {
    sandbox = m.sandbox;
    ({ id } = await sandbox.create({ name: uniqueName(), image, labels: { 'drydock.test': 'docker-sandbox' } }));
  });

  test('create is idempotent by name and restarts a stopped container', async () => {
    const name = uniqueName();
    const first = await sandbox.create({ name, image });
    expect(first.created).toBe(true);
    const again = await sandbox.create({ name, image });
    expect(again).toMatchObject({ id: first.id, created: false });
    // The limits it runs under, as the engine reports them.
    expect(again.limits).toEqual({
      memoryBytes: 2 * 1024 ** 3,
      cpus: 2,
      pidsLimit: 512,
      diskBytes: null,
      runtime: 'runc',
    });

    await docker.getContainer(first.id).stop({ t: 0 });
    expect(await sandbox.isRunning(first.id)).toBe(false);
    expect(await sandbox.create({ name, image })).toMatchObject({ id: first.id, created: false });
    expect(await sandbox.isRunning(first.id)).toBe(true);
  });

  test('concurrent creates with one name agree on one container', async () => {
    const name = uniqueName();
    const results = await Promise.all([1, 2, 3].map(() => sandbox.create({ name, image })));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  test('exec returns stdout, stderr and the exit code', async () => {
    const result = await sandbox.exec(id, ['bash', '-c', 'echo out; echo err >&2; pwd; exit 3']);
    expect(result).toMatchObject({
      exitCode: 3,
      stdout: 'out\n/workspace\n',
      stderr: 'err\n',
      stdoutBytes: 15,
      stderrBytes: 4,
      timedOut: false,
    });
  });

  test('exec passes cwd and env', async () => {
    const result = await sandbox.exec(id, ['bash', '-c', 'echo "$PWD $GREETING"'], {
      cwd: '/tmp',
      env: { GREETING: 'hi' },
    });
    expect(result.stdout).toBe('/tmp hi\n');
  });

  test('1 MB of stdin round-trips and long output is trimmed with whole byte counts', async () => {
    const payload = randomBytes(768 * 1024).toString('base64'); // 1 MiB of text
    expect(payload.length).toBe(1024 * 1024);
    const digest = await sandbox.exec(id, ['sha256sum'], { stdin: payload });
    expect(digest.stdout).toBe(`${createHash('sha256').update(payload).digest('hex')}  -\n`);

    const echoed = await sandbox.exec(id, ['cat'], { stdin: payload, maxOutputBytes: 100 });
    expect(echoed.exitCode).toBe(0);
    expect(echoed.stdoutBytes).toBe(payload.length);
    expect(echoed.stdout).toBe(
      `${payload.slice(0, 50)}\n…[${payload.length - 100} bytes omitted]…\n${payload.slice(-50)}`,
    );

    const ignored = await sandbox.exec(id, ['true'], { stdin: payload });
    expect(ignored).toMatchObject({ exitCode: 0, timedOut: false });
  });

  test('a command past its timeout is killed and reported as timed out', async () => {
    const result = await sandbox.exec(id, ['sleep', '100'], { timeoutMs: 1500 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBe(124);
    expect(result.durationMs).toBeGreaterThanOrEqual(1500);
    expect(result.durationMs).toBeLessThan(5000);

    const stubborn = await sandbox.exec(id, ['bash', '-c', 'trap "" TERM; sleep 100'], { timeoutMs: 1000 });
    expect(stubborn).toMatchObject({ timedOut: true, exitCode: 137 });
    expect(stubborn.durationMs).toBeLessThan(6000);

    // A daemon that escapes timeout's process group holds the output open; the engine still
    // ends the stream shortly after the command itself exits.
    const escaped = await sandbox.exec(id, ['bash', '-c', 'setsid sleep 100 & echo started'], { timeoutMs: 10_000 });
    expect(escaped).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'started\n' });
    expect(escaped.durationMs).toBeLessThan(5000);

    const quick = await sandbox.exec(id, ['bash', '-c', 'exit 124'], { timeoutMs: 5000 });
    expect(quick).toMatchObject({ timedOut: false, exitCode: 124 });
  });

  test('the container is hardened', async () => {
    const status = await sandbox.exec(id, ['cat', '/proc/self/status']);
    expect(status.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0+$/m);
    expect(status.stdout).toMatch(/^CapBnd:\s+0+$/m);
    expect((await sandbox.exec(id, ['id', '-u'])).stdout).toBe('1000\n');

    const etc = await sandbox.exec(id, ['touch', '/etc/drydock']);
    expect(etc.exitCode).not.toBe(0);
    expect(etc.stderr).toContain('Read-only file system');
    const writable = await sandbox.exec(id, ['bash', '-c', 'touch /workspace/a /tmp/a "$HOME/a" && echo ok']);
    expect(writable.stdout).toBe('ok\n');

    expect((await sandbox.exec(id, ['ls', '/sys/class/net'])).stdout).toBe('lo\n');

    const info = await docker.getContainer(id).inspect();
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(info.HostConfig).toMatchObject({
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      // drydock's seccomp profile (test/integration/sandbox-seccomp.test.ts tries it).
      SecurityOpt: ['no-new-privileges', expect.stringMatching(/^seccomp=\{.*"SCMP_CMP_MASKED_EQ"/)],
      ReadonlyRootfs: true,
      PidsLimit: 512,
      Memory: 2 * 1024 ** 3,
      NanoCpus: 2e9,
      Init: true,
    });
    expect(info.Config.Labels).toMatchObject({ [MANAGED_LABEL]: 'true', 'drydock.test': 'docker-sandbox' });
    // From the host, only the command runner's binary and the Node toolchains (cache and this sandbox's view), read-only;
    // without a disk, the workspace and home are volumes.
    expect(info.Mounts.map((m) => `${m.Destination} ${m.RW ? 'rw' : 'ro'}`).sort()).toEqual([
      '/home/drydock rw',
      `${RUNNER_PATH_IN_SANDBOX} ro`,
      '/opt/drydock/toolchain ro',
      '/opt/drydock/toolchains/node ro',
      '/workspace rw',
    ]);
  });

  test('putArchive copies files owned by the sandbox user', async () => {
    const tar = await import('tar-stream');
    const pack = tar.pack();
    pack.entry({ name: 'dir/', type: 'directory' });
    pack.entry({ name: 'dir/hello.txt' }, 'hello\n');
    pack.finalize();
    await sandbox.putArchive(id, pack as unknown as NodeJS.ReadableStream, '/workspace');
    const result = await sandbox.exec(id, ['bash', '-c', 'stat -c "%u %n" dir dir/hello.txt && cat dir/hello.txt']);
    expect(result.stdout).toBe('1000 dir\n1000 dir/hello.txt\nhello\n');
  });

  test('exec on a missing container throws SandboxNotFoundError', async () => {
    await expect(sandbox.exec('drydock-test-no-such-container', ['true'])).rejects.toBeInstanceOf(SandboxNotFoundError);
    expect(await sandbox.isRunning('drydock-test-no-such-container')).toBe(false);
  });

  test('exec in a container removed while the command runs throws instead of returning a result', async () => {
    const { id: doomed } = await sandbox.create({ name: uniqueName(), image });
    const outcome = sandbox.exec(doomed, ['sleep', '30'], { timeoutMs: 20_000 }).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sandbox.destroy(doomed);
    expect(await outcome).toBeInstanceOf(Error);
    expect(String(await outcome)).toMatch(/^Sandbox(NotFound|NotRunning)Error: /);
  });

  test('destroy removes the container and its workspace and home volumes, and tolerates a second call', async () => {
    const { id: doomed } = await sandbox.create({ name: uniqueName(), image });
    const volumes = (await docker.getContainer(doomed).inspect()).Mounts.filter((m) => m.Type === 'volume').map(
      (m) => m.Name ?? '',
    );
    expect(volumes).toHaveLength(2);
    await sandbox.destroy(doomed);
    await sandbox.destroy(doomed);
    expect(await statusOf(docker.getContainer(doomed).inspect())).toBe(404);
    for (const volume of volumes) expect(await statusOf(docker.getVolume(volume).inspect())).toBe(404);
  });
});
