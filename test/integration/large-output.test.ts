/**
 * Output never held whole: a command that writes 200 MB to stderr in one write
 * (one engine frame) comes back trimmed to maxOutputBytes with the whole byte
 * count, through an engine exec, through the command runner, and through the
 * checkpointing wrapper every tool call uses (whose stdout carries the
 * checkpoint, so only stdout gets the larger cap); the worker's memory grows by
 * far less than the output. Real Docker.
 */
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { CheckpointingSandbox } from '../../activities/sandbox/checkpoint';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import type { Sandbox } from '../../activities/sandbox/sandbox';

const docker = new Dockerode();
const MAX_OUTPUT = 1024 * 1024;
const BIG = 200_000_000;
const WRITE_STDERR = ['python3', '-c', `import sys; sys.stderr.buffer.write(b"x" * ${BIG}); sys.stdout.write("done")`];
const names: string[] = [];
const engine = new DockerSandbox({ docker, commandRunner: false });
const runner = new DockerSandbox({ docker });
let image: string;

beforeAll(async () => {
  image = await resolveSandboxImage();
});

afterAll(async () => {
  for (const name of names) await engine.destroy(name).catch(() => undefined);
});

/** Runs the 200 MB write and returns the result with the growth of this process's RSS. */
async function measure(sandbox: Sandbox, inner: DockerSandbox, argv: string[] = WRITE_STDERR) {
  const name = `drydock-test-output-${process.pid}-${randomBytes(4).toString('hex')}`;
  names.push(name);
  const { id } = await inner.create({ name, image });
  // A repository to checkpoint (the checkpointing case), so git has nothing to say on stderr.
  await inner.exec(id, [
    'bash',
    '-c',
    'git init -q && git -c user.email=t@t -c user.name=t commit -q --allow-empty -m base',
  ]);
  await sandbox.exec(id, ['true']);
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = Date.now();
  try {
    const result = await sandbox.exec(id, argv, { maxOutputBytes: MAX_OUTPUT, timeoutMs: 120_000 });
    return { result, grewBytes: Math.max(peak, process.memoryUsage().rss) - before, ms: Date.now() - started };
  } finally {
    clearInterval(sampler);
  }
}

const cases: [string, () => [Sandbox, DockerSandbox]][] = [
  ['an engine exec', () => [engine, engine]],
  ['the command runner', () => [runner, runner]],
  ['a checkpointing tool call', () => [new CheckpointingSandbox(runner, 'HEAD', 'unused-key'), runner]],
];

test.each(cases)(
  '200 MB on stderr in one write, through %s: trimmed, counted whole, memory bounded',
  async (label, make) => {
    const [sandbox, inner] = make();
    const { result, grewBytes, ms } = await measure(sandbox, inner);
    process.stderr.write(`${label}: RSS +${Math.round(grewBytes / 1024 ** 2)} MB, ${ms} ms\n`);
    expect(result.exitCode).toBe(0);
    expect(result.stderrBytes).toBe(BIG);
    expect(Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(MAX_OUTPUT + 64);
    expect(result.stderr).toContain(`…[${BIG - MAX_OUTPUT} bytes omitted]…`);
    expect(result.stdout.startsWith('done')).toBe(true);
    expect(grewBytes).toBeLessThan(100 * 1024 ** 2);
  },
  180_000,
);

test.each(cases)(
  '200 MB on stdout in one write, through %s: trimmed, counted whole, memory bounded',
  async (label, make) => {
    const [sandbox, inner] = make();
    const { result, grewBytes, ms } = await measure(sandbox, inner, [
      'python3',
      '-c',
      `import sys; sys.stdout.buffer.write(b"y" * ${BIG})`,
    ]);
    process.stderr.write(`${label} (stdout): RSS +${Math.round(grewBytes / 1024 ** 2)} MB, ${ms} ms\n`);
    expect(result.exitCode).toBe(0);
    expect(result.stdoutBytes).toBe(BIG);
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(MAX_OUTPUT + 64);
    expect(grewBytes).toBeLessThan(100 * 1024 ** 2);
  },
  180_000,
);
