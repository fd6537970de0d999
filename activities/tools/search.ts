/** search: ripgrep over the workspace. */
import { z } from 'zod';
import { anyText, text } from './arguments';
import { defineTool } from './define-tool';
import { helperOutcome, HELPER_REFUSED, oneLine, runHelper } from './sandbox-helper';

/** The arguments of search: a regular expression, and optionally where and in which files. */
export const searchArguments = z.object({
  pattern: anyText('Regular expression to look for.'),
  path: text('File or directory to search, relative to the workspace root (default: all).').optional(),
  glob: text("Only search files matching this glob, e.g. '*.ts' or '!*.test.ts'.").optional(),
});

/** Arguments of search. */
export type SearchArgs = z.output<typeof searchArguments>;

/** Searches file contents with ripgrep (a regular expression), printing path:line:text. */
export const search = defineTool({
  name: 'search',
  description:
    'Search file contents in the workspace with ripgrep (Rust regular expressions). Prints path:line:text; ' +
    'respects .gitignore and skips hidden files.',
  schema: searchArguments,
  isMutating: false,
  async run(ctx, args) {
    const result = await runHelper(ctx, 'search', { ...args });
    const what = oneLine(`search ${JSON.stringify(args.pattern)}${args.path ? ` in ${args.path}` : ''}`);
    if (result.timedOut) {
      return {
        ok: false,
        output: `search timed out after ${ctx.commandTimeoutMs / 1000}s`,
        summary: `${what}: timed out`,
      };
    }
    // ripgrep: 0 matches, 1 no match, 2 an error (a bad regular expression, an unreadable path).
    if (result.exitCode === 1) return { ok: true, output: 'no matches', summary: `${what}: no matches`, exitCode: 1 };
    if (result.exitCode === 2) {
      return {
        ok: false,
        output: result.stderr || result.stdout,
        summary: oneLine(`${what}: ${result.stderr}`),
        exitCode: 2,
      };
    }
    if (result.exitCode === 0 || result.exitCode === HELPER_REFUSED) {
      const lines = result.stdout.split('\n').filter(Boolean).length;
      const found =
        result.stdoutBytes > ctx.maxOutputBytes ? 'many matching lines (trimmed)' : `${lines} matching line(s)`;
      return helperOutcome('search', result, `${what}: ${found}`);
    }
    return helperOutcome('search', result, what);
  },
});
