/**
 * A tool the model can call: a handler with a name, a schema, whether it
 * changes the workspace, and `run`. What goes wrong that the model should see
 * (a bad argument, a failing command, a path outside the workspace) comes back
 * as a ToolOutcome with ok=false; only infrastructure failures throw.
 */
import type { z } from 'zod';
import type { Sandbox } from '../sandbox/sandbox';

/** What a tool runs with. */
export interface ToolContext {
  sandbox: Sandbox;
  containerId: string;
  /** Timeout of one command, in ms. */
  commandTimeoutMs: number;
  /** Bytes of output kept for the model (head + tail). */
  maxOutputBytes: number;
  /** The environment file's `env`, exported in the shell before each command (activities/shared/shell-env.ts). */
  env?: Record<string, string>;
}

/** What a tool call gave back. */
export interface ToolOutcome {
  ok: boolean;
  /** The text the model reads (already capped). */
  output: string;
  /** One line (at most 200 characters) for status, history and the UI. */
  summary: string;
  /** The command's exit code, for tools that run one. */
  exitCode?: number;
  /** True when the call itself was wrong (unknown tool, malformed or invalid arguments), not its effect. */
  invalid?: boolean;
}

/**
 * One tool. `schema` is its one definition of the arguments: `parameters` (the
 * JSON schema sent to the model), `parse` (which throws ToolArgumentError with a
 * message for the model) and the type `A` all come from it (see defineTool).
 */
export interface Tool<A = unknown> {
  name: string;
  description: string;
  /** The zod schema of the arguments; `A` is its output type. */
  schema: z.ZodObject;
  /** JSON schema of the arguments, sent to the model (made from `schema`). */
  parameters: Record<string, unknown>;
  /** True when the tool can change the workspace (checkpoints follow such calls). */
  isMutating: boolean;
  parse(args: unknown): A;
  run(ctx: ToolContext, args: A): Promise<ToolOutcome>;
}
