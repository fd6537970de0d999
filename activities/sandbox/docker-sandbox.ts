/**
 * The Docker implementation of the Sandbox port: one hardened container per goal,
 * named from the workflow id, with the workspace on an anonymous volume that is
 * removed with the container.
 */
import Dockerode from 'dockerode';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { ExecOptions, ExecResult, Sandbox, SandboxSpec, WORKSPACE } from './sandbox';
import { SandboxImageNotFoundError, SandboxNotFoundError, SandboxNotRunningError } from './errors';
import { OutputCollector } from './trim-output';
import { Demultiplexer } from './demultiplexer';
import { CommandRunner } from './command-runner';
import { ensureRunnerBinary, mountableRunnerBinary, refuseRunnerMountIf, type RunnerBinary } from './runner-binary';
import { DISK_BYTES_LABEL, DISK_LABEL, type SandboxDisks } from './sandbox-disk';
import { assertDisksFit, defaultSandboxPolicy, SANDBOX_HOME, type SandboxPolicy } from './sandbox-policy';
import { createToolchainView, removeToolchainView, toolchainRoot, viewOfLabels } from './toolchain-mounts';
import {
  policyOfContainer,
  SANDBOX_GID,
  SANDBOX_UID,
  SANDBOX_USER,
  sandboxContainerOptions,
} from './container-options';
import type { SandboxLimitsView, SandboxPolicyView } from '../../workflows/types';

export { MANAGED_LABEL, SANDBOX_USER, sandboxContainerOptions } from './container-options';

/** Warm containers a DockerSandbox takes before creating one (SandboxPool, sandbox-pool.ts). */
export interface WarmContainers {
  /** A started container made under this policy (or one that makes the same containers), renamed and labelled for the spec; undefined when none fits. */
  take(spec: SandboxSpec, policy: SandboxPolicy): Promise<string | undefined>;
}

/** What DockerSandbox.create says of the container: its id, whether it is new, its applied limits and its policy. */
export interface CreatedSandbox {
  id: string;
  created: boolean;
  limits: SandboxLimitsView;
  /** The policy the container was created under (absent on a container made before policies). */
  policy?: SandboxPolicyView;
}

/** What callers pass to DockerSandbox. */
export interface DockerSandboxOptions {
  /** The engine client; dockerode's default (DOCKER_HOST or the local socket) when absent. */
  docker?: Dockerode;
  /** Warm containers to take before creating one (see sandbox-pool.ts). */
  pool?: WarmContainers;
  /** Warm containers started from a cached environment, taken by a spec whose `environment` matches (workers/environment-warm-pool.ts). */
  warmEnvironments?: WarmContainers;
  /**
   * The operator's sandbox policy, resolved once when the worker starts (sandbox-policy.ts);
   * when absent, drydock's defaults with `commandRunner` and the size of `disks`.
   */
  policy?: SandboxPolicy;
  /**
   * Without a policy: run commands through a runner kept alive in each container
   * (command-runner.ts) instead of one engine exec per command; default true. Without a
   * runner binary to mount (not built, a remote engine) every container falls back to engine execs.
   */
  commandRunner?: boolean;
  /** Where the one note about falling back to engine execs goes; console.warn when absent. */
  warn?: (message: string) => void;
  /** Fixed-size workspace disks (sandbox-disk.ts), of the policy's disk size; without them the workspace is an anonymous volume of no fixed size. */
  disks?: SandboxDisks;
}

/** Bytes of a command's output kept when the caller sets no maximum. */
const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/** Seconds `timeout` waits after SIGTERM before SIGKILL. */
const KILL_GRACE_SECONDS = 2;
/** How long past the in-container deadline the host gives up on the stream. */
const HOST_GRACE_MS = (KILL_GRACE_SECONDS + 5) * 1000;

/** The HTTP status an engine error carries, if any. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A sandbox backed by a local or remote Docker engine. */
export class DockerSandbox implements Sandbox {
  private readonly docker: Dockerode;
  private readonly pool?: WarmContainers;
  private readonly warmEnvironments?: WarmContainers;
  private readonly policy: SandboxPolicy;
  private readonly useRunner: boolean;
  /** Command runners by the container reference exec was given; undefined: the container cannot run one. */
  private readonly runners = new Map<string, Promise<CommandRunner | undefined>>();
  private readonly warn: (message: string) => void;
  private readonly disks?: SandboxDisks;
  /** The runner binary sandboxes mount, looked up (or built) once. */
  private runnerBinary?: Promise<RunnerBinary>;
  private warnedEngineExecs = false;

  constructor(options: DockerSandboxOptions = {}) {
    this.docker = options.docker ?? new Dockerode();
    this.pool = options.pool;
    this.warmEnvironments = options.warmEnvironments;
    this.policy =
      options.policy ??
      defaultSandboxPolicy({ commandRunner: options.commandRunner, diskBytes: options.disks?.sizeBytes ?? null });
    assertDisksFit(this.policy, options.disks);
    this.useRunner = this.policy.commandRunner;
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.disks = options.disks;
  }

  async create(spec: SandboxSpec): Promise<CreatedSandbox> {
    const existing = await this.startExisting(spec.name);
    if (existing) return { id: existing.Id, created: false, ...appliedTo(existing) };
    const ready = spec.environment ? await this.warmEnvironments?.take(spec, this.policy) : undefined;
    if (ready) return { id: ready, created: true, ...appliedTo(await this.docker.getContainer(ready).inspect()) };
    const warm = await this.pool?.take(spec, this.policy);
    if (warm) return { id: warm, created: true, ...appliedTo(await this.docker.getContainer(warm).inspect()) };
    // A runner binary built on demand must exist before the container that mounts it.
    if (this.useRunner) await this.availableRunner();
    const disk = await this.disks?.create();
    const view = await createToolchainView(toolchainRoot());
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer(sandboxContainerOptions(spec, this.policy, disk, view));
    } catch (err) {
      if (disk) await this.disks?.release(disk.id).catch(() => undefined);
      await removeToolchainView(view).catch(() => undefined);
      // The engine cannot find the runner binary (the worker is not on its host): no runner from now on.
      if (statusOf(err) === 400 && refuseRunnerMountIf(err)) {
        this.runnerBinary = Promise.resolve(mountableRunnerBinary());
        this.warnEngineExecs(mountableRunnerBinary());
        return this.create(spec);
      }
      // Another caller created the same name between our inspect and create. The engine
      // reserves the name before the container can be inspected, so look a few times.
      if (statusOf(err) === 409) {
        for (let attempt = 1; attempt <= 20; attempt++) {
          const raced = await this.startExisting(spec.name);
          if (raced) return { id: raced.Id, created: false, ...appliedTo(raced) };
          await sleep(50 * attempt);
        }
      }
      if (statusOf(err) === 404) throw new SandboxImageNotFoundError(spec.image);
      throw err;
    }
    await startTolerant(container);
    return { id: container.id, created: true, ...appliedTo(await container.inspect()) };
  }

  async exec(id: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const timeoutMs = options.timeoutMs;
    const cmd =
      timeoutMs === undefined
        ? argv
        : ['timeout', '-k', String(KILL_GRACE_SECONDS), (timeoutMs / 1000).toFixed(3), ...argv];
    const stdin = options.stdin === undefined ? undefined : Buffer.from(options.stdin);
    // A command the runner never started (it died first) runs again, on a new runner or as an engine exec.
    for (let attempt = 0; this.useRunner && attempt < 2; attempt++) {
      const runner = await this.runnerFor(id);
      if (!runner) break;
      const result = await this.execInRunner(runner, id, cmd, { ...options, stdin, maxOutputBytes });
      if (result !== 'not-started') return result;
    }
    const container = this.docker.getContainer(id);
    let exec: Dockerode.Exec;
    try {
      exec = await container.exec({
        Cmd: cmd,
        User: SANDBOX_USER,
        WorkingDir: options.cwd ?? WORKSPACE,
        Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
        AttachStdin: stdin !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      });
    } catch (err) {
      throw this.translate(err, id);
    }

    const started = Date.now();
    const stdout = new OutputCollector(maxOutputBytes);
    const stderr = new OutputCollector(options.maxStderrBytes ?? maxOutputBytes);
    let stream: NodeJS.ReadWriteStream;
    try {
      stream = await exec.start({ hijack: stdin !== undefined, stdin: stdin !== undefined });
    } catch (err) {
      throw this.translate(err, id);
    }
    const abandoned = await this.drain(stream, stdout, stderr, stdin, timeoutMs);
    const durationMs = Date.now() - started;
    let exitCode: number | null;
    try {
      exitCode = abandoned ? await this.exitCodeIfDone(exec) : await this.exitCodeOf(exec);
    } catch (err) {
      // The exec vanishes with its container: removed while the command ran.
      throw this.translate(err, id);
    }
    return this.resultOf(id, { exitCode, abandoned, stdout, stderr, durationMs, timeoutMs });
  }

  /** The result of a finished command, by engine exec or runner alike. */
  private async resultOf(
    id: string,
    r: {
      exitCode: number | null;
      abandoned: boolean;
      stdout: OutputCollector;
      stderr: OutputCollector;
      durationMs: number;
      timeoutMs?: number;
    },
  ): Promise<ExecResult> {
    // A command killed by a signal (or that took the runner with it) may have died with its
    // container (removed, stopped, out of memory as a whole); then the result is not the command's doing.
    if (r.exitCode === null || r.exitCode >= 128) await this.assertRunning(id);
    // 124: `timeout` sent SIGTERM; 137: it had to send SIGKILL. The elapsed-time check
    // keeps a command that exits 124/137 by itself (an OOM kill) from counting as a timeout.
    const timedOut =
      r.timeoutMs !== undefined &&
      (r.abandoned || ((r.exitCode === 124 || r.exitCode === 137) && r.durationMs >= r.timeoutMs));
    return {
      exitCode: r.exitCode ?? 137,
      stdout: r.stdout.text(),
      stderr: r.stderr.text(),
      stdoutBytes: r.stdout.total,
      stderrBytes: r.stderr.total,
      timedOut,
      durationMs: r.durationMs,
    };
  }

  /** exec through the container's runner: the same result an engine exec gives, without its cost. */
  private async execInRunner(
    runner: CommandRunner,
    id: string,
    cmd: string[],
    options: ExecOptions & { stdin?: Buffer; maxOutputBytes: number },
  ): Promise<ExecResult | 'not-started'> {
    const timeoutMs = options.timeoutMs;
    const stdout = new OutputCollector(options.maxOutputBytes);
    const stderr = new OutputCollector(options.maxStderrBytes ?? options.maxOutputBytes);
    const started = Date.now();
    const outcome = await runner.run({
      argv: cmd,
      cwd: options.cwd ?? WORKSPACE,
      env: options.env,
      stdin: options.stdin,
      stdout,
      stderr,
      giveUpAfterMs: timeoutMs === undefined ? undefined : timeoutMs + HOST_GRACE_MS,
    });
    const durationMs = Date.now() - started;
    if (outcome.end === 'not-started') return outcome.end;
    if (outcome.end === 'lost') {
      stderr.push(
        Buffer.from(
          "\n[drydock: the sandbox's command runner stopped while this command ran; the next command starts a new one]\n",
        ),
      );
    }
    return this.resultOf(id, {
      exitCode: outcome.exitCode,
      abandoned: outcome.end === 'abandoned',
      stdout,
      stderr,
      durationMs,
      timeoutMs,
    });
  }

  /** The container's runner, started on first use; undefined when the container cannot run one. */
  private runnerFor(id: string): Promise<CommandRunner | undefined> {
    const known = this.runners.get(id);
    if (known) return known;
    const start = async () => {
      if (!(await this.availableRunner()).path) return undefined;
      return CommandRunner.start(this.docker.getContainer(id), SANDBOX_USER, () => {
        // The runner ended (container stopped, runner killed): the next command starts another.
        if (this.runners.get(id) === started) this.runners.delete(id);
      });
    };
    const started: Promise<CommandRunner | undefined> = start().catch((err: unknown) => {
      if (this.runners.get(id) === started) this.runners.delete(id);
      throw this.translate(err, id);
    });
    this.runners.set(id, started);
    return started;
  }

  /** The runner binary this host mounts into sandboxes; says once in the log when there is none. */
  private availableRunner(): Promise<RunnerBinary> {
    this.runnerBinary ??= ensureRunnerBinary().then((binary) => {
      this.warnEngineExecs(binary);
      return binary;
    });
    return this.runnerBinary;
  }

  private warnEngineExecs(binary: RunnerBinary): void {
    if (binary.path !== undefined || this.warnedEngineExecs) return;
    this.warnedEngineExecs = true;
    this.warn(
      `drydock: sandbox commands run as engine execs (about 50 ms each), not through the command runner: ${binary.reason}`,
    );
  }

  async putArchive(id: string, archive: NodeJS.ReadableStream | Buffer, path: string): Promise<void> {
    try {
      await this.docker.getContainer(id).putArchive(ownedBySandboxUser(archive), { path });
    } catch (err) {
      throw this.translate(err, id);
    }
    // The workspace is in: start the runner now (not during the copy, which it would slow
    // on a small machine), so the first command usually finds it up.
    if (this.useRunner) void this.runnerFor(id).catch(() => undefined);
  }

  async getArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    try {
      return await this.docker.getContainer(id).getArchive({ path });
    } catch (err) {
      throw this.translate(err, id);
    }
  }

  /** The host folder of the sandbox's /workspace or /home/drydock when they are on a disk this host mounts and the container binds it there. */
  async hostFolder(id: string, path: string): Promise<string | undefined> {
    if (!this.disks) return undefined;
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch (err) {
      throw this.translate(err, id);
    }
    const diskId = info.Config.Labels?.[DISK_LABEL];
    const disk = diskId ? await this.disks.ensureMounted(diskId) : undefined;
    const folder = !disk
      ? undefined
      : path === WORKSPACE
        ? disk.workspace
        : path === SANDBOX_HOME
          ? disk.home
          : undefined;
    // Only the folder the container really binds there (a container made before disks has none).
    const bound = info.Mounts?.some((m) => m.Type === 'bind' && m.Destination === path && m.Source === folder);
    return folder && bound ? folder : undefined;
  }

  async isRunning(id: string): Promise<boolean> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return info.State.Running;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async destroy(id: string): Promise<void> {
    const runner = this.runners.get(id);
    this.runners.delete(id);
    void runner?.then((r) => r?.close()).catch(() => undefined);
    await removeSandboxContainer(this.docker, id, this.disks);
  }

  /** Starts the container with this name if it exists; returns what inspect said of it, or undefined. */
  private async startExisting(name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    const container = this.docker.getContainer(name);
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    if (!info.State.Running) {
      // After a reboot of the host its disk is no longer mounted: mount it again first (its
      // bind sources do not exist until then, so the container would not start).
      const diskId = info.Config.Labels?.[DISK_LABEL];
      if (diskId) await this.disks?.ensureMounted(diskId);
      await startTolerant(container);
    }
    return info;
  }

  /**
   * Pumps stdin in and demultiplexed output out until the stream ends. Returns true
   * when the host-side safety timer gave up on a stream that did not end (a
   * background process holding stdout open past the deadline).
   */
  private drain(
    stream: NodeJS.ReadWriteStream,
    stdout: OutputCollector,
    stderr: OutputCollector,
    stdin: Buffer | undefined,
    timeoutMs: number | undefined,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const demux = new Demultiplexer(stdout, stderr);
      let timer: NodeJS.Timeout | undefined;
      const finish = (abandoned: boolean) => {
        if (timer) clearTimeout(timer);
        resolve(abandoned);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          (stream as unknown as { destroy(): void }).destroy();
          finish(true);
        }, timeoutMs + HOST_GRACE_MS);
      }
      stream.on('data', (chunk: Buffer) => demux.push(chunk));
      stream.on('end', () => finish(false));
      stream.on('close', () => finish(false));
      stream.on('error', (e: NodeJS.ErrnoException) => {
        // The command may exit without reading all of its stdin; the write side then fails.
        if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return;
        if (timer) clearTimeout(timer);
        reject(e);
      });
      if (stdin !== undefined) {
        // Ending the write side half-closes the hijacked connection: the command sees EOF.
        stream.end(stdin);
      }
    });
  }

  /** Reads the exit code; the engine can report the exec as running for a moment after its stream ends. */
  private async exitCodeOf(exec: Dockerode.Exec): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      if (attempt >= 60) throw new Error(`exec ${exec.id} did not report an exit code`);
      // Usually the engine catches up within a few milliseconds: look again soon, then back off.
      await sleep(Math.min(2 ** attempt, 200));
    }
  }

  /** The exit code of an exec the host gave up on, if it has finished after all. */
  private async exitCodeIfDone(exec: Dockerode.Exec): Promise<number | null> {
    const info = await exec.inspect();
    return info.Running ? null : info.ExitCode;
  }

  /**
   * Throws SandboxNotFoundError or SandboxNotRunningError unless the container runs.
   * The engine can report a container killed a moment ago as running, so a few
   * looks are spread over about half a second.
   */
  private async assertRunning(id: string): Promise<void> {
    for (const delayMs of [0, 50, 100, 150, 200]) {
      await sleep(delayMs);
      let info: Dockerode.ContainerInspectInfo;
      try {
        info = await this.docker.getContainer(id).inspect();
      } catch (err) {
        throw this.translate(err, id);
      }
      if (!info.State.Running) throw new SandboxNotRunningError(id);
    }
  }

  /** Maps engine errors about the container to the port's errors. */
  private translate(err: unknown, id: string): unknown {
    if (statusOf(err) === 404) return new SandboxNotFoundError(id);
    if (statusOf(err) === 409) return new SandboxNotRunningError(id);
    return err;
  }
}

/** The limits a container runs under, from what the engine says of it (or what it was created with). */
export function sandboxLimitsOf(container: {
  HostConfig: Dockerode.HostConfig;
  Config?: { Labels?: Record<string, string> } | Dockerode.ContainerInspectInfo['Config'];
}): SandboxLimitsView {
  const h = container.HostConfig;
  const diskBytes = Number(container.Config?.Labels?.[DISK_BYTES_LABEL]);
  return {
    memoryBytes: h.Memory ?? 0,
    cpus: (h.NanoCpus ?? 0) / 1e9,
    pidsLimit: h.PidsLimit ?? 0,
    diskBytes: Number.isFinite(diskBytes) && diskBytes > 0 ? diskBytes : null,
    runtime: (h as { Runtime?: string }).Runtime || 'runc',
  };
}

/** Removes a sandbox container and then its disk and toolchain view; one already gone (or being removed) is fine. */
export async function removeSandboxContainer(docker: Dockerode, id: string, disks?: SandboxDisks): Promise<void> {
  let diskId: string | undefined;
  let labels: Record<string, string> | undefined;
  try {
    labels = (await docker.getContainer(id).inspect()).Config.Labels ?? undefined;
    diskId = labels?.[DISK_LABEL];
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    // 404: already gone. 409: a removal of the same container is already in progress (its caller releases the disk).
    if (statusOf(err) === 404 || statusOf(err) === 409) return;
    throw err;
  }
  if (diskId) await disks?.release(diskId);
  await removeToolchainView(viewOfLabels(toolchainRoot(), labels));
}

/** The limits and the policy a container runs under, from what the engine says of it. */
function appliedTo(info: Dockerode.ContainerInspectInfo): { limits: SandboxLimitsView; policy?: SandboxPolicyView } {
  const policy = policyOfContainer(info.Config?.Labels);
  return { limits: sandboxLimitsOf(info), ...(policy ? { policy } : {}) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a container; one that is already running (304) is fine. */
async function startTolerant(container: Dockerode.Container): Promise<void> {
  try {
    await container.start();
  } catch (err) {
    if (statusOf(err) !== 304) throw err;
  }
}

/**
 * Rewrites a tar so every entry belongs to the sandbox user: the engine keeps the
 * owners written in the archive, and root-owned files would be read-only to the agent.
 */
function ownedBySandboxUser(archive: NodeJS.ReadableStream | Buffer): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, body, next) => {
    const entry = pack.entry({ ...header, uid: SANDBOX_UID, gid: SANDBOX_GID, uname: '', gname: '' }, next);
    body.pipe(entry);
  });
  extract.on('finish', () => pack.finalize());
  const source = Buffer.isBuffer(archive) ? Readable.from([archive]) : (archive as Readable);
  pipeline(source, extract).catch((err: Error) => pack.destroy(err));
  // tar-stream's streams are streamx streams; dockerode pipes a Node stream.
  return Readable.from(pack);
}
