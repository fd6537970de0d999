/**
 * A mutating tool's command and its workspace checkpoint share one exec: the
 * command's output and exit code are its own, and the checkpoint is the
 * binary-safe diff against the base commit. Real Docker.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { CheckpointingSandbox } from '../../activities/sandbox/checkpoint';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import type { ExecOptions, ExecResult } from '../../activities/sandbox/sandbox';

const docker = new Dockerode();
const name = `drydock-test-checkpoint-${process.pid}-${randomBytes(4).toString('hex')}`;
let id: string;
let base: string;
let execs = 0;

/** Counts the engine execs the checkpointing sandbox makes. */
class CountingSandbox extends DockerSandbox {
  override exec(containerId: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    execs++;
    return super.exec(containerId, argv, options);
  }
}
const inner = new CountingSandbox({ docker });

beforeAll(async () => {
  ({ id } = await inner.create({ name, image: await resolveSandboxImage(), labels: { 'drydock.test': 'checkpoint' } }));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-ckpt-'));
  writeFileSync(path.join(dir, 'a.txt'), 'a\n');
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    })
      .toString()
      .trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  base = git('rev-parse', 'HEAD');
  await inner.putArchive(id, execFileSync('tar', ['-C', dir, '-c', '.']), '/workspace');
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  await inner.destroy(id);
});

test("one exec runs the command and checkpoints; output and exit code are the command's own", async () => {
  const sandbox = new CheckpointingSandbox(inner, base, 'goals/t/checkpoints/00001.patch');
  execs = 0;
  const r = await sandbox.exec(
    id,
    ['bash', '-c', 'printf "\\x00\\xff" > bin.dat; rm a.txt; echo made; echo warn >&2; exit 3'],
    { maxOutputBytes: 1000 },
  );
  expect(execs).toBe(1);
  expect(r.exitCode).toBe(3);
  expect(r.stdout).toBe('made\n');
  expect(r.stdoutBytes).toBe(5);
  expect(r.stderr).toBe('warn\n');
  const patch = sandbox.patch!.toString('latin1');
  expect(patch).toContain('diff --git a/a.txt b/a.txt\ndeleted file mode');
  expect(patch).toContain('diff --git a/bin.dat b/bin.dat\nnew file mode');
  expect(patch).toContain('GIT binary patch');
  // The agent's own index is untouched: the checkpoint staged nothing.
  expect((await inner.exec(id, ['git', 'diff', '--cached', '--name-only'])).stdout).toBe('');

  // A command that changes nothing names the stored checkpoint instead of taking another.
  const next = new CheckpointingSandbox(inner, base, 'goals/t/checkpoints/00003.patch');
  expect((await next.exec(id, ['cat', 'bin.dat'])).exitCode).toBe(0);
  expect(next.patch).toBeUndefined();
  expect(next.unchangedSince).toBe('goals/t/checkpoints/00001.patch');
  // Touching a file, or changing it and back, is no change: git compares contents, not times.
  const touched = new CheckpointingSandbox(inner, base, 'goals/t/checkpoints/00004.patch');
  await touched.exec(id, ['bash', '-c', 'touch bin.dat; cp bin.dat /tmp/keep; echo x > bin.dat; cp /tmp/keep bin.dat']);
  expect(touched.patch).toBeUndefined();
  expect(touched.unchangedSince).toBe('goals/t/checkpoints/00001.patch');
  // A change of mode alone is a change.
  const chmod = new CheckpointingSandbox(inner, base, 'goals/t/checkpoints/00005.patch');
  await chmod.exec(id, ['chmod', '+x', 'bin.dat']);
  expect(chmod.unchangedSince).toBeUndefined();
  expect(chmod.patch!.toString('latin1')).toContain('new file mode 100755');
});

test('a command that times out leaves no checkpoint (the caller takes one separately)', async () => {
  const sandbox = new CheckpointingSandbox(inner, base, 'goals/t/checkpoints/00007.patch');
  const r = await sandbox.exec(id, ['sleep', '5'], { timeoutMs: 1000 });
  expect(r.timedOut).toBe(true);
  expect(sandbox.patch).toBeUndefined();
});
