/**
 * The command runner kept alive in each sandbox (activities/sandbox/command-runner.ts):
 * commands share one runner, survive its death, run concurrently, and images that
 * cannot run it fall back to engine execs. Real Docker, the real sandbox image.
 */
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { DockerSandbox, sandboxContainerOptions } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const names: string[] = [];
let image: string;
let id: string;

function uniqueName(): string {
  const name = `drydock-test-runner-${process.pid}-${randomBytes(4).toString('hex')}`;
  names.push(name);
  return name;
}

/** The parent of a command: its pid and program name. */
async function parentOf(container: string): Promise<{ pid: string; comm: string }> {
  const r = await sandbox.exec(container, ['bash', '-c', 'echo "$PPID $(cat /proc/$PPID/comm 2>/dev/null || echo none)"']);
  expect(r.exitCode).toBe(0);
  const [pid, comm] = r.stdout.trim().split(' ');
  return { pid: pid!, comm: comm! };
}

beforeAll(async () => {
  image = await resolveSandboxImage();
  ({ id } = await sandbox.create({ name: uniqueName(), image }));
});

afterAll(async () => {
  for (const name of names) await sandbox.destroy(name);
});

test('commands are children of one long-lived runner, not separate engine execs', async () => {
  const first = await parentOf(id);
  // What the agent sees in ps: a short line, not the runner's program.
  const ps = await sandbox.exec(id, ['bash', '-c', 'cat /proc/$PPID/cmdline | tr "\\0" " " | wc -c']);
  expect(Number(ps.stdout.trim())).toBeLessThan(300);
  const second = await parentOf(id);
  expect(first.comm).toBe('drydock-runner');
  expect(second.pid).toBe(first.pid);
});

test("a command cannot reach the runner's pipes through /proc or trace it", async () => {
  const r = await sandbox.exec(id, [
    'bash',
    '-c',
    'echo forged > /proc/$PPID/fd/1 && echo wrote; ls /proc/$PPID/fd >/dev/null 2>&1 && echo listed; ' +
      'python3 -c "import ctypes,os,sys; sys.exit(0 if ctypes.CDLL(None).ptrace(16, int(sys.argv[1]), 0, 0) == 0 else 1)" $PPID && echo traced; echo done',
  ]);
  expect(r.stdout).toBe('done\n');
  expect(r.stderr).toMatch(/Permission denied/);
  // The runner still answers.
  expect((await sandbox.exec(id, ['echo', 'ok'])).stdout).toBe('ok\n');
});

test('commands run concurrently on one runner keep their own output, exit codes and stdin', async () => {
  const results = await Promise.all(
    [3, 1, 2, 0].map((n) => sandbox.exec(id, ['bash', '-c', `sleep 0.${n}; cat; echo "#${n}" >&2; exit ${n}`], { stdin: `in-${n}\n` })),
  );
  results.forEach((r, i) => {
    const n = [3, 1, 2, 0][i];
    expect(r).toMatchObject({ exitCode: n, stdout: `in-${n}\n`, stderr: `#${n}\n`, timedOut: false });
  });
});

test('a command that kills the runner gets an answer, and the next command gets a new runner', async () => {
  const before = await parentOf(id);
  // No timeout: with one, the parent would be `timeout`, not the runner.
  const killed = await sandbox.exec(id, ['bash', '-c', 'echo going; kill -9 $PPID; sleep 5']);
  expect(killed.exitCode).toBe(137);
  // Output the runner had not forwarded yet dies with it: only the note is certain.
  expect(killed.stderr).toMatch(/command runner stopped while this command ran/);
  expect(killed.durationMs).toBeLessThan(4000);
  const after = await parentOf(id);
  expect(after.comm).toBe('drydock-runner');
  expect(after.pid).not.toBe(before.pid);
});

test('a command the runner died before starting runs once, on a new runner', async () => {
  const engine = new DockerSandbox({ docker, commandRunner: false });
  const runner = await parentOf(id);
  // A stopped runner cannot read the request; killing it then leaves the command never started.
  expect((await engine.exec(id, ['kill', '-STOP', runner.pid])).exitCode).toBe(0);
  const pending = sandbox.exec(id, ['bash', '-c', 'echo ran >> /tmp/runs-once; wc -l < /tmp/runs-once']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect((await engine.exec(id, ['kill', '-KILL', runner.pid])).exitCode).toBe(0);
  const r = await pending;
  expect(r).toMatchObject({ exitCode: 0, stdout: '1\n', stderr: '' });
  expect((await parentOf(id)).pid).not.toBe(runner.pid);
});

test('a new runner ignores the Python start-up files the agent can write (its user site-packages)', async () => {
  const plant = await sandbox.exec(id, [
    'bash',
    '-c',
    'd=$(python3 -c "import site; print(site.getusersitepackages())") && mkdir -p "$d" && ' +
      `echo 'import os; open("/tmp/pwned-pth", "w").write("x")' > "$d/evil.pth" && ` +
      `python3 -c 'print(1)' >/dev/null && test -f /tmp/pwned-pth && rm /tmp/pwned-pth && echo planted`,
  ]);
  // The planted file works on an ordinary python3: the runner must not be ordinary.
  expect(plant.stdout.trim()).toBe('planted');
  await sandbox.exec(id, ['bash', '-c', 'kill -9 $PPID']);
  const fresh = await parentOf(id);
  expect(fresh.comm).toBe('drydock-runner');
  const look = await sandbox.exec(id, ['bash', '-c', 'test -e /tmp/pwned-pth && echo pwned || echo clean']);
  expect(look.stdout.trim()).toBe('clean');
});

test('a container whose image cannot run the runner is served by engine execs', async () => {
  // The image without a working Python: its standard library is hidden under an empty tmpfs.
  const stdlib = (await sandbox.exec(id, ['python3', '-c', 'import os; print(os.path.dirname(os.__file__))'])).stdout.trim();
  expect(stdlib).toMatch(/^\/usr\/lib\/python3/);
  const options = sandboxContainerOptions({ name: uniqueName(), image });
  options.HostConfig!.Tmpfs = { ...options.HostConfig!.Tmpfs, [stdlib]: 'ro,size=1m' };
  const container = await docker.createContainer(options);
  await container.start();
  const r = await sandbox.exec(container.id, ['bash', '-c', 'echo hi; echo "$PPID"']);
  expect(r.exitCode).toBe(0);
  const [hi, ppid] = r.stdout.trim().split('\n');
  expect(hi).toBe('hi');
  // An engine exec's parent is outside the container's pid namespace.
  expect(ppid).toBe('0');
  const again = await sandbox.exec(container.id, ['true']);
  expect(again.exitCode).toBe(0);
});
