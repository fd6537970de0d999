/**
 * In-memory fakes of the ports activities are made from, for activity tests
 * with MockActivityEnvironment: an ArtifactStore in a Map, a Sandbox that
 * answers commands from a script and can lose its container, and a model
 * client that plays back completions.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ArtifactStore } from '../../activities/store/artifact-store';
import { ArtifactNotFoundError } from '../../activities/store/errors';
import type { ExecOptions, ExecResult, Sandbox, SandboxSpec } from '../../activities/sandbox/sandbox';
import { SandboxNotFoundError } from '../../activities/sandbox/errors';
import type {
  ChatMessage,
  Completion,
  CompleteOptions,
  ModelClient,
  ToolDefinition,
} from '../../activities/model/model-client';

/** An ArtifactStore in memory. */
export class InMemoryArtifactStore implements ArtifactStore {
  readonly blobs = new Map<string, Buffer>();

  async put(key: string, data: Buffer | string): Promise<void> {
    this.blobs.set(key, Buffer.from(data));
  }
  async get(key: string): Promise<Buffer> {
    const blob = this.blobs.get(key);
    if (!blob) throw new ArtifactNotFoundError(key);
    return blob;
  }
  async has(key: string): Promise<boolean> {
    return this.blobs.has(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  /** A stored text, parsed as JSON. */
  json(key: string): unknown {
    return JSON.parse(this.blobs.get(key)?.toString('utf8') ?? 'null');
  }
}

/** What a scripted command answers (the rest of the ExecResult is filled in). */
export type ScriptedExec = Partial<ExecResult> & { stdout?: string; stderr?: string };

/** A sandbox whose commands answer from a function; `lose()` removes its container. */
export class ScriptedSandbox implements Sandbox {
  readonly execs: { id: string; argv: string[]; options?: ExecOptions }[] = [];
  private readonly containers = new Set<string>();

  constructor(private readonly answer: (argv: string[]) => ScriptedExec | Promise<ScriptedExec> = () => ({})) {}

  /** The container is gone (removed, OOM-killed, its engine restarted). */
  lose(id: string): void {
    this.containers.delete(id);
  }
  async create(spec: SandboxSpec) {
    const id = `id-${spec.name}`;
    const created = !this.containers.has(id);
    this.containers.add(id);
    return { id, created };
  }
  async exec(id: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    if (!this.containers.has(id)) throw new SandboxNotFoundError(id);
    this.execs.push({ id, argv, options });
    const a = await this.answer(argv);
    const stdout = a.stdout ?? '';
    const stderr = a.stderr ?? '';
    return {
      exitCode: 0,
      timedOut: false,
      durationMs: 1,
      stdoutBytes: Buffer.byteLength(stdout),
      stderrBytes: Buffer.byteLength(stderr),
      ...a,
      stdout,
      stderr,
    };
  }
  async putArchive(id: string): Promise<void> {
    if (!this.containers.has(id)) throw new SandboxNotFoundError(id);
  }
  async getArchive(id: string): Promise<NodeJS.ReadableStream> {
    throw new SandboxNotFoundError(id);
  }
  async isRunning(id: string): Promise<boolean> {
    return this.containers.has(id);
  }
  async destroy(id: string): Promise<void> {
    this.containers.delete(id);
  }
}

/** A model client that plays back completions in order and records what it was sent. */
export class PlaybackModelClient implements ModelClient {
  readonly requests: { messages: ChatMessage[]; tools: ToolDefinition[]; options: CompleteOptions }[] = [];

  constructor(private readonly completions: Completion[]) {}

  async complete(messages: ChatMessage[], tools: ToolDefinition[], options: CompleteOptions): Promise<Completion> {
    this.requests.push({ messages, tools, options });
    const next = this.completions.shift();
    if (!next) throw new Error('the playback model has no more completions');
    return next;
  }
}

/** A MockActivityEnvironment that logs only errors (the tests make activities fail on purpose). */
export function mockActivityEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}

/** Runs one activity in the environment, keeping its input and result types. */
export function runActivity<I, R>(
  env: MockActivityEnvironment,
  activity: (input: I) => Promise<R>,
  input: I,
): Promise<R> {
  return env.run(activity, input) as Promise<R>;
}
