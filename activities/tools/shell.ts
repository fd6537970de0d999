/** shell: runs a bash command in the workspace. */
import * as path from 'node:path';
import { z } from 'zod';
import { WORKSPACE } from '../sandbox/sandbox';
import { text } from './arguments';
import { defineTool } from './define-tool';
import { oneLine } from './sandbox-helper';
import { envPrelude } from '../shared/shell-env';

/** Longest timeout the model may ask for, in seconds. */
const MAX_TIMEOUT_SECONDS = 3600;

/** The arguments of shell; `cwd` comes out relative to the workspace root. */
export const shellArguments = z.object({
  command: text('The command, run with bash -lc.'),
  cwd: text('Directory relative to the workspace root (default: the root).').transform(workspaceDirectory).optional(),
  timeout_seconds: z
    .number()
    .min(1)
    .max(MAX_TIMEOUT_SECONDS)
    .describe('Kill the command after this many seconds (default: the policy timeout).')
    .optional(),
});

/** Arguments of shell. */
export type ShellArgs = z.output<typeof shellArguments>;

/** Runs `bash -lc command` in the workspace (or a subdirectory) with a timeout; output is capped. */
export const shell = defineTool({
  name: 'shell',
  description:
    'Run a bash command in the workspace (network only as the rules say). Output shows the exit code, stdout and stderr, ' +
    'each trimmed to its head and tail when long. Long-running commands are killed at the timeout.',
  schema: shellArguments,
  isMutating: true,
  async run(ctx, args) {
    const timeoutMs = args.timeout_seconds === undefined ? ctx.commandTimeoutMs : args.timeout_seconds * 1000;
    const directory = path.posix.join(WORKSPACE, args.cwd ?? '.');
    // `cd` in bash rather than the exec's working directory: a missing directory is then
    // an error message for the model, not an engine failure.
    const result = await ctx.sandbox.exec(
      ctx.containerId,
      ['bash', '-c', 'cd -- "$1" && exec bash -lc "$2"', 'shell', directory, envPrelude(ctx.env) + args.command],
      { timeoutMs, maxOutputBytes: ctx.maxOutputBytes },
    );
    const status = result.timedOut
      ? `timed out after ${timeoutMs / 1000}s; the command was killed (exit code ${result.exitCode})`
      : `exit code: ${result.exitCode}`;
    const sections = [status];
    if (result.stdoutBytes > 0) sections.push(`--- stdout ---\n${result.stdout}`);
    if (result.stderrBytes > 0) sections.push(`--- stderr ---\n${result.stderr}`);
    return {
      ok: result.exitCode === 0 && !result.timedOut,
      output: sections.join('\n'),
      summary: oneLine(
        `$ ${oneLine(args.command, 150)} → ${result.timedOut ? 'timed out' : `exit ${result.exitCode}`}`,
      ),
      exitCode: result.exitCode,
    };
  },
});

/** A cwd as a path relative to the workspace root; refuses one that leaves it. */
function workspaceDirectory(cwd: string, ctx: z.RefinementCtx): string {
  const resolved = path.posix.resolve(WORKSPACE, cwd);
  if (resolved !== WORKSPACE && !resolved.startsWith(`${WORKSPACE}/`)) {
    ctx.addIssue({ code: 'custom', message: `must be inside the workspace, got ${JSON.stringify(cwd)}` });
    return z.NEVER;
  }
  return path.posix.relative(WORKSPACE, resolved) || '.';
}
