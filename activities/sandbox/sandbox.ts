/**
 * The Sandbox port: a lifecycle-only interface over an isolated container that
 * holds one goal's workspace. activities/sandbox/docker-sandbox.ts implements it
 * with dockerode; the contract tests in test/integration run against every backend.
 */
import type { SandboxLimitsView, SandboxPolicyView } from '../../workflows/types';

/** What a sandbox is created from. */
export interface SandboxSpec {
  /** Deterministic name (from the workflow id), so creating twice finds the first. */
  name: string;
  image: string;
  /** Labels stored on the container (goal id, owner), used by the reaper. */
  labels?: Record<string, string>;
  /** The goal's environment placement key: a warm container started from that cached environment may serve it. */
  environment?: string;
}

/** Options of one command. */
export interface ExecOptions {
  /** Working directory inside the sandbox; the workspace root when absent. */
  cwd?: string;
  /** Killed after this long; the result says so. */
  timeoutMs?: number;
  /** Bytes of output kept (head + tail); the byte counts are kept whole. */
  maxOutputBytes?: number;
  /** Bytes of stderr kept, when it differs from maxOutputBytes (the default). */
  maxStderrBytes?: number;
  /** Bytes written to the command's standard input. */
  stdin?: Buffer | string;
  env?: Record<string, string>;
}

/** What a command did. */
export interface ExecResult {
  exitCode: number;
  /** Output, trimmed to maxOutputBytes: head, a marker with the bytes left out, tail. */
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  timedOut: boolean;
  durationMs: number;
}

/** An isolated place to run a goal's commands. */
export interface Sandbox {
  /**
   * Creates and starts the sandbox under the backend's sandbox policy (network, limits, writable
   * paths: never the spec's), or returns the running one with that name; with, when known, the
   * limits it runs under and the policy it was created under.
   */
  create(
    spec: SandboxSpec,
  ): Promise<{ id: string; created: boolean; limits?: SandboxLimitsView; policy?: SandboxPolicyView }>;
  /** Runs argv in the sandbox. A failing command is a result, not an exception. */
  exec(id: string, argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Copies a tar stream into a directory of the sandbox. */
  putArchive(id: string, tar: NodeJS.ReadableStream | Buffer, path: string): Promise<void>;
  /** A tar stream of a directory of the sandbox, read by the engine (no process in the sandbox takes part). */
  getArchive(id: string, path: string): Promise<NodeJS.ReadableStream>;
  /**
   * The host folder that holds a folder of the sandbox (its /workspace or /home/drydock on a disk
   * the host mounts, sandbox-disk.ts), or undefined when the host cannot write it directly.
   */
  hostFolder?(id: string, path: string): Promise<string | undefined>;
  /** True when the sandbox exists and runs. */
  isRunning(id: string): Promise<boolean>;
  /** Removes the sandbox and its storage; tolerates one that is already gone. */
  destroy(id: string): Promise<void>;
}

/** The workspace root inside every sandbox. */
export const WORKSPACE = '/workspace';
