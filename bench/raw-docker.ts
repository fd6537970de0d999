/** The raw machine: the same container work done with dockerode directly, no Temporal, no drydock. */
import { spawn } from 'node:child_process';
import Dockerode from 'dockerode';
import { SANDBOX_USER, sandboxContainerOptions } from '../activities/sandbox/docker-sandbox';
import { CommandRunner } from '../activities/sandbox/command-runner';
import { OutputCollector } from '../activities/sandbox/trim-output';
import { WORKSPACE } from '../activities/sandbox/sandbox';

/** Creates, starts and fills a hardened container like drydock's; returns the container and the ms it took. */
export async function rawCreateStartCopy(
  docker: Dockerode,
  image: string,
  name: string,
  repoDir: string,
): Promise<{ container: Dockerode.Container; ms: number }> {
  const started = performance.now();
  const container = await docker.createContainer(
    sandboxContainerOptions({ name, image, labels: { 'drydock.bench': 'raw' } }),
  );
  await container.start();
  const tar = spawn('tar', ['--owner=1000', '--group=1000', '--numeric-owner', '-C', repoDir, '-c', '.'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await container.putArchive(tar.stdout, { path: WORKSPACE });
  return { container, ms: performance.now() - started };
}

/** Runs argv in the container as the sandbox user and waits for its exit code; returns the ms it took. */
export async function rawExec(container: Dockerode.Container, argv: string[]): Promise<number> {
  const started = performance.now();
  const exec = await container.exec({
    Cmd: argv,
    User: '1000:1000',
    WorkingDir: WORKSPACE,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({});
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running) break;
  }
  return performance.now() - started;
}

/** Starts drydock's command runner in the container, as a sandbox worker does (no Temporal, no activity). */
export async function rawRunner(container: Dockerode.Container): Promise<CommandRunner> {
  const runner = await CommandRunner.start(container, SANDBOX_USER);
  if (!runner) throw new Error('the sandbox image cannot run the command runner');
  return runner;
}

/** Runs argv through the runner and waits for its exit; returns the ms it took. */
export async function rawRunnerExec(runner: CommandRunner, argv: string[]): Promise<number> {
  const started = performance.now();
  const outcome = await runner.run({
    argv,
    cwd: WORKSPACE,
    stdout: new OutputCollector(1 << 20),
    stderr: new OutputCollector(1 << 20),
  });
  if (outcome.end !== 'exited') throw new Error(`the runner did not finish the command: ${outcome.end}`);
  return performance.now() - started;
}
