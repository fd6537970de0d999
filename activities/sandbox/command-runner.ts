/**
 * The host side of a sandbox's command runner (runner/main.go, a static binary the
 * sandbox has execute-only at RUNNER_PATH_IN_SANDBOX): one long-lived `docker exec`
 * per container whose stdin and stdout carry framed requests and output, so each
 * later command costs a fork in the sandbox rather than an engine exec. Commands
 * may run concurrently; each has its own id.
 *
 * Frames, both ways: kind (1 byte), request id (u32 BE), length (u32 BE), payload.
 *   host → runner: R run (JSON {argv, cwd, env, stdin}), I stdin bytes, C close stdin, K kill
 *   runner → host: H hello (JSON {pid, protocol}), S starting (sent before the spawn), O stdout
 *                  bytes, E stderr bytes, X exit (JSON {code}), F could not start (JSON {code, message})
 * A command the host saw no S for never started: if the runner dies first, the host
 * may run it again elsewhere.
 */
import type Dockerode from 'dockerode';
import type { Duplex } from 'node:stream';
import { Demultiplexer } from './demultiplexer';
import { RUNNER_PATH_IN_SANDBOX } from './runner-binary';
import type { OutputCollector } from './trim-output';

/** Protocol version the host expects in the hello frame (runner/main.go's `protocol`). */
export const RUNNER_PROTOCOL = 1;
const HEADER_BYTES = 9;
/** The runner reads output 64 KiB at a time; a longer frame means the stream is corrupt. */
const MAX_FRAME_BYTES = 1024 * 1024;
/** Kinds of frame the runner sends. */
const RUNNER_KINDS = new Set(['H', 'S', 'O', 'E', 'X', 'F']);
const STDIN_CHUNK_BYTES = 64 * 1024;
/** How long a new runner may take to say hello before the container is served by plain execs. */
const HELLO_TIMEOUT_MS = 10_000;

/** One command for the runner. */
export interface RunnerCommand {
  argv: string[];
  cwd: string;
  env?: Record<string, string>;
  stdin?: Buffer;
  stdout: OutputCollector;
  stderr: OutputCollector;
  /** Stop waiting (and kill the command) after this long. */
  giveUpAfterMs?: number;
}

/**
 * How a command ended: it exited, the host gave up on it, the runner went away
 * while it ran ('lost'), or the runner went away before it started it ('not-started':
 * safe to run again).
 */
export interface RunnerOutcome {
  exitCode: number | null;
  end: 'exited' | 'abandoned' | 'lost' | 'not-started';
}

interface Running {
  command: RunnerCommand;
  /** The runner said it is starting the command. */
  started?: boolean;
  timer?: NodeJS.Timeout;
  resolve(outcome: RunnerOutcome): void;
}

/** A running runner in one container. */
export class CommandRunner {
  private nextId = 1;
  private readonly running = new Map<number, Running>();
  private open = true;
  private pending: Buffer = Buffer.alloc(0);
  private hello?: (ok: boolean) => void;
  /** Said hello: only then does its end concern the caller. */
  private greeted = false;

  private constructor(
    private readonly stream: Duplex,
    private readonly onClose: () => void,
  ) {}

  /**
   * Starts the runner at `binary` in the container as `user`; undefined when it does
   * not say hello (the container has no runner mounted, or it refused to run because
   * it is dumpable), so the caller uses plain execs. Engine errors (no such container)
   * are thrown.
   */
  static async start(
    container: Dockerode.Container,
    user: string,
    onClose: () => void = () => undefined,
    binary: string = RUNNER_PATH_IN_SANDBOX,
  ): Promise<CommandRunner | undefined> {
    const exec = await container.exec({
      Cmd: [binary],
      User: user,
      WorkingDir: '/tmp',
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
    const runner = new CommandRunner(stream, onClose);
    const ok = await runner.awaitHello();
    if (!ok) {
      runner.close();
      return undefined;
    }
    runner.refreshRef();
    return runner;
  }

  /** False once the runner's stream has ended: start another. */
  get alive(): boolean {
    return this.open;
  }

  /** Runs one command; resolves when it exits, the host gives up, or the runner goes away. */
  run(command: RunnerCommand): Promise<RunnerOutcome> {
    if (!this.open) return Promise.resolve({ exitCode: null, end: 'not-started' });
    const id = this.nextId++;
    return new Promise<RunnerOutcome>((resolve) => {
      const entry: Running = {
        command,
        resolve: (outcome) => {
          if (entry.timer) clearTimeout(entry.timer);
          this.running.delete(id);
          this.refreshRef();
          resolve(outcome);
        },
      };
      this.running.set(id, entry);
      this.refreshRef();
      if (command.giveUpAfterMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.write('K', id);
          entry.resolve({ exitCode: null, end: 'abandoned' });
        }, command.giveUpAfterMs);
      }
      const request = {
        argv: command.argv,
        cwd: command.cwd,
        env: command.env ?? {},
        stdin: command.stdin !== undefined,
      };
      this.write('R', id, Buffer.from(JSON.stringify(request)));
      if (command.stdin !== undefined) {
        for (let at = 0; at < command.stdin.length; at += STDIN_CHUNK_BYTES)
          this.write('I', id, command.stdin.subarray(at, at + STDIN_CHUNK_BYTES));
        this.write('C', id);
      }
    });
  }

  /** Ends the runner (it kills whatever it still runs). */
  close(): void {
    this.stream.end();
    this.stream.destroy();
    this.closed();
  }

  private awaitHello(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), HELLO_TIMEOUT_MS);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.hello = undefined;
        resolve(ok);
      };
      this.hello = finish;
      // The runner's own stderr is not read: a runner that fails never says hello.
      const demux = new Demultiplexer({ push: (chunk) => this.receive(chunk) }, { push: () => undefined });
      this.stream.on('data', (chunk: Buffer) => demux.push(chunk));
      this.stream.on('end', () => this.closed());
      this.stream.on('close', () => this.closed());
      this.stream.on('error', () => this.closed());
    });
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(5);
      const kind = String.fromCharCode(this.pending[0]!);
      if (!RUNNER_KINDS.has(kind) || size > MAX_FRAME_BYTES) {
        // Not the runner speaking: stop trusting this stream (its commands end as lost).
        this.close();
        return;
      }
      if (this.pending.length < HEADER_BYTES + size) break;
      const id = this.pending.readUInt32BE(1);
      const payload = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size);
      this.pending = this.pending.subarray(HEADER_BYTES + size);
      this.frame(kind, id, payload);
    }
  }

  private frame(kind: string, id: number, payload: Buffer): void {
    if (kind === 'H') {
      const hello = JSON.parse(payload.toString('utf8')) as { protocol?: number };
      this.greeted = hello.protocol === RUNNER_PROTOCOL;
      this.hello?.(this.greeted);
      return;
    }
    const entry = this.running.get(id);
    if (!entry) return;
    if (kind === 'S') entry.started = true;
    else if (kind === 'O') entry.command.stdout.push(payload);
    else if (kind === 'E') entry.command.stderr.push(payload);
    else if (kind === 'X')
      entry.resolve({ exitCode: (JSON.parse(payload.toString('utf8')) as { code: number }).code, end: 'exited' });
    else if (kind === 'F') {
      const failed = JSON.parse(payload.toString('utf8')) as { code: number; message: string };
      entry.command.stderr.push(Buffer.from(`${failed.message}\n`));
      entry.resolve({ exitCode: failed.code, end: 'exited' });
    }
  }

  private write(kind: string, id: number, payload: Buffer = Buffer.alloc(0)): void {
    if (!this.open) return;
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = kind.charCodeAt(0);
    header.writeUInt32BE(id, 1);
    header.writeUInt32BE(payload.length, 5);
    this.stream.write(payload.length > 0 ? Buffer.concat([header, payload]) : header);
  }

  private closed(): void {
    if (!this.open) return;
    this.open = false;
    this.hello?.(false);
    for (const entry of [...this.running.values()])
      entry.resolve({ exitCode: null, end: entry.started ? 'lost' : 'not-started' });
    if (this.greeted) this.onClose();
  }

  /** An idle runner does not keep the process alive; one running a command does. */
  private refreshRef(): void {
    const socket = this.stream as unknown as { ref?: () => void; unref?: () => void };
    if (this.running.size > 0) socket.ref?.();
    else socket.unref?.();
  }
}
