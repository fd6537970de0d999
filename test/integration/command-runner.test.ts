/**
 * The command runner kept alive in each sandbox (activities/sandbox/command-runner.ts,
 * runner/main.go): commands share one runner, survive its death, run concurrently,
 * nothing in the sandbox can read the runner, reach its pipes or forge its answers,
 * and containers without it fall back to engine execs. Real Docker, the real sandbox image.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox, SANDBOX_USER, sandboxContainerOptions } from '../../activities/sandbox/docker-sandbox';
import { CommandRunner } from '../../activities/sandbox/command-runner';
import { ensureRunnerBinary, RUNNER_PATH_IN_SANDBOX } from '../../activities/sandbox/runner-binary';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { projectRoot } from '../../activities/find-above';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const engine = new DockerSandbox({ docker, commandRunner: false });
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
  const r = await sandbox.exec(container, [
    'bash',
    '-c',
    'echo "$PPID $(cat /proc/$PPID/comm 2>/dev/null || echo none)"',
  ]);
  expect(r.exitCode).toBe(0);
  const [pid, comm] = r.stdout.trim().split(' ');
  return { pid: pid!, comm: comm! };
}

/** Creates and starts a container from these options (tracked for removal). */
async function startContainer(options: Dockerode.ContainerCreateOptions): Promise<Dockerode.Container> {
  const container = await docker.createContainer(options);
  await container.start();
  return container;
}

/**
 * A hostile process for the sandbox: it scans /proc as fast as it can for processes
 * the engine started that are named like the runner (by cmdline or comm, so a runner
 * still starting counts; a command the runner forks is its own business) and
 * tries to open their stdin and stdout pipes both ways. A writer it gets is kept and
 * fed forged frames (a "42 tests passed" stdout and exit 0 for request ids 1..50, one
 * atomic pipe write) every millisecond. /tmp/attack-stats says what it saw and got.
 */
const ATTACKER = String.raw`
import json, os, struct, time
me = str(os.getpid())
def frame(kind, rid, payload):
    return struct.pack('>BII', ord(kind), rid, len(payload)) + payload
forged = b''.join(frame('O', i, b'42 tests passed\n') + frame('X', i, b'{"code":0}') for i in range(1, 51))
assert len(forged) <= 4096
held, opened, runners = {}, [], set()
scans, last_write, last_stats = 0, 0.0, 0.0
def runner_like(pid):
    try:
        with open('/proc/' + pid + '/cmdline', 'rb') as f:
            cmd = f.read()
        with open('/proc/' + pid + '/comm', 'rb') as f:
            comm = f.read()
        with open('/proc/' + pid + '/stat', 'rb') as f:
            ppid = f.read().rsplit(b')', 1)[1].split()[1]
    except (OSError, IndexError):
        return False
    # Started by the engine (its parent is outside the sandbox), not a command the runner forks.
    return ppid == b'0' and (b'drydock-runner' in cmd or b'drydock-runner' in comm)
while True:
    scans += 1
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or pid == me or not runner_like(pid):
            continue
        runners.add(pid)
        for fd in ('0', '1'):
            for mode in (os.O_RDONLY, os.O_WRONLY):
                if (pid, fd, mode) in held:
                    continue
                try:
                    held[(pid, fd, mode)] = os.open('/proc/' + pid + '/fd/' + fd, mode | os.O_NONBLOCK)
                    opened.append(pid + '/fd/' + fd + ('r' if mode == os.O_RDONLY else 'w'))
                except OSError:
                    pass
    now = time.monotonic()
    if now - last_write > 0.001:
        last_write = now
        for key, h in list(held.items()):
            if key[1] == '1' and key[2] == os.O_WRONLY:
                try:
                    os.write(h, forged)
                except BlockingIOError:
                    pass
                except OSError:
                    os.close(h)
                    del held[key]
    if now - last_stats > 0.05:
        last_stats = now
        with open('/tmp/attack-stats.new', 'w') as f:
            json.dump({'scans': scans, 'runners': len(runners), 'opened': opened}, f)
        os.replace('/tmp/attack-stats.new', '/tmp/attack-stats')
`;

interface AttackStats {
  scans: number;
  runners: number;
  opened: string[];
}

async function attackStats(container: string): Promise<AttackStats> {
  const r = await engine.exec(container, ['cat', '/tmp/attack-stats']);
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as AttackStats;
}

beforeAll(async () => {
  // Fails (does not fall back) when the runner cannot be built: these tests are about it.
  const binary = await ensureRunnerBinary();
  expect(binary).toEqual({ path: expect.any(String) });
  image = await resolveSandboxImage();
  ({ id } = await sandbox.create({ name: uniqueName(), image }));
});

afterAll(async () => {
  for (const name of names) await sandbox.destroy(name);
});

test('commands are children of one long-lived runner, not separate engine execs', async () => {
  const first = await parentOf(id);
  // What the agent sees in ps: a short line.
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
    [3, 1, 2, 0].map((n) =>
      sandbox.exec(id, ['bash', '-c', `sleep 0.${n}; cat; echo "#${n}" >&2; exit ${n}`], { stdin: `in-${n}\n` }),
    ),
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

test('the sandbox can run the runner but not read, replace or loosen it', async () => {
  const r = await sandbox.exec(id, [
    'bash',
    '-c',
    `f=${RUNNER_PATH_IN_SANDBOX}; stat -c '%a %U' $f; cat $f >/dev/null && echo read; cp /bin/true $f 2>/dev/null && echo replaced; ` +
      'chmod 755 $f 2>/dev/null && echo loosened; mv $f /tmp/x 2>/dev/null && echo moved; echo done',
  ]);
  expect(r.stdout).toBe('111 root\ndone\n');
  expect(r.stderr).toMatch(/Permission denied/);
});

test('a hostile process racing every runner start cannot open its pipes or forge its answers', async () => {
  const plant = await sandbox.exec(
    id,
    [
      'bash',
      '-c',
      'cat > /tmp/attack.py && (setsid python3 /tmp/attack.py </dev/null >/dev/null 2>&1 &) && echo started',
    ],
    {
      stdin: ATTACKER,
    },
  );
  expect(plant.stdout).toBe('started\n');
  // It has scanned once (with this runner alive) when its first stats appear.
  for (let waited = 0; (await engine.exec(id, ['test', '-e', '/tmp/attack-stats'])).exitCode !== 0; waited += 50) {
    expect(waited).toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (let restart = 1; restart <= 30; restart++) {
    // The attacker's sibling kills the runner, as it could at any time; the next command starts a new one.
    const killed = await sandbox.exec(id, ['bash', '-c', 'kill -9 $PPID; sleep 5']);
    expect(killed.exitCode).toBe(137);
    const real = await sandbox.exec(
      id,
      ['bash', '-c', 'echo REAL; cat /proc/$(cut -d" " -f4 /proc/$PPID/stat)/comm >&2; exit 3'],
      { timeoutMs: 15_000 },
    );
    // The parent of its `timeout` is a runner (the command went through one), and the answer is the command's own.
    expect({
      restart,
      exitCode: real.exitCode,
      stdout: real.stdout,
      stderr: real.stderr,
      timedOut: real.timedOut,
    }).toEqual({
      restart,
      exitCode: 3,
      stdout: 'REAL\n',
      stderr: 'drydock-runner\n',
      timedOut: false,
    });
  }
  // Its stats are written every 50 ms.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const stats = await attackStats(id);
  // The attacker saw every runner (the first and 30 restarts), and opened none of their pipes.
  expect(stats.runners).toBeGreaterThanOrEqual(31);
  expect(stats.scans).toBeGreaterThan(1000);
  expect(stats.opened).toEqual([]);
  // Nor can anything opened later, from a command the runner itself started.
  const direct = await sandbox.exec(id, [
    'bash',
    '-c',
    `cat ${RUNNER_PATH_IN_SANDBOX} >/dev/null || echo unreadable; : > /proc/$PPID/fd/1 || echo closed`,
  ]);
  expect(direct.stdout).toBe('unreadable\nclosed\n');
}, 180_000);

test('a runner whose file the sandbox can read refuses to run, and the container is served by engine execs', async () => {
  // The same runner, built readable: the kernel would leave it dumpable.
  const cache = mkdtempSync(path.join(os.tmpdir(), 'drydock-runner-'));
  try {
    const readable = execFileSync('bash', [path.join(projectRoot(), 'scripts', 'build-runner')], {
      env: { ...process.env, DRYDOCK_CACHE_DIR: cache },
    })
      .toString()
      .trim();
    chmodSync(readable, 0o755);
    const options = sandboxContainerOptions({ name: uniqueName(), image });
    options.HostConfig!.Mounts = [
      ...(options.HostConfig!.Mounts ?? []),
      { Type: 'bind', Source: readable, Target: '/opt/drydock/readable-runner', ReadOnly: true },
    ];
    const container = await startContainer(options);
    const direct = await engine.exec(container.id, ['/opt/drydock/readable-runner'], { stdin: '' });
    expect(direct).toMatchObject({ exitCode: 3, stdout: '' });
    expect(direct.stderr).toMatch(/dumpable/);
    expect(
      await CommandRunner.start(container, SANDBOX_USER, undefined, '/opt/drydock/readable-runner'),
    ).toBeUndefined();
    // The execute-only one in the same container starts.
    const real = await CommandRunner.start(container, SANDBOX_USER);
    expect(real).toBeDefined();
    real?.close();
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('a container without the runner mounted is served by engine execs', async () => {
  const options = sandboxContainerOptions({ name: uniqueName(), image });
  expect(options.HostConfig!.Mounts!.map((m) => m.Target)).toContain(RUNNER_PATH_IN_SANDBOX);
  options.HostConfig!.Mounts = options.HostConfig!.Mounts!.filter((m) => m.Target !== RUNNER_PATH_IN_SANDBOX);
  const container = await startContainer(options);
  const r = await sandbox.exec(container.id, ['bash', '-c', 'echo hi; echo "$PPID"']);
  expect(r.exitCode).toBe(0);
  const [hi, ppid] = r.stdout.trim().split('\n');
  expect(hi).toBe('hi');
  // An engine exec's parent is outside the container's pid namespace.
  expect(ppid).toBe('0');
  const again = await sandbox.exec(container.id, ['true']);
  expect(again.exitCode).toBe(0);
});

test('without a runner binary on this host, sandboxes use engine execs and the log says so once', async () => {
  const saved = process.env.DRYDOCK_RUNNER_BIN;
  process.env.DRYDOCK_RUNNER_BIN = '/nonexistent/drydock-runner';
  try {
    const warnings: string[] = [];
    const plain = new DockerSandbox({ docker, warn: (message) => warnings.push(message) });
    const { id: container } = await plain.create({ name: uniqueName(), image });
    const mounts = (await docker.getContainer(container).inspect()).Mounts.map((m) => m.Destination).sort();
    expect(mounts).toEqual(['/home/drydock', '/opt/drydock/toolchain', '/opt/drydock/toolchains/node', '/workspace']);
    for (let i = 0; i < 2; i++) {
      const r = await plain.exec(container, ['bash', '-c', 'echo "$PPID"']);
      expect(r).toMatchObject({ exitCode: 0, stdout: '0\n' });
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/engine execs.*DRYDOCK_RUNNER_BIN=\/nonexistent\/drydock-runner does not exist/);
  } finally {
    if (saved === undefined) delete process.env.DRYDOCK_RUNNER_BIN;
    else process.env.DRYDOCK_RUNNER_BIN = saved;
  }
});
