/** read_file: a text file of the workspace with numbered lines. */
import { z } from 'zod';
import { text } from './arguments';
import { defineTool } from './define-tool';
import { helperOutcome, MAX_FILE_BYTES, runHelper } from './sandbox-helper';

/** The arguments of read_file: a path and an optional 1-based, inclusive line range. */
export const readFileArguments = z
  .object({
    path: text('Path relative to the workspace root.'),
    start_line: z.int().min(1).describe('First line to show (default 1).').optional(),
    end_line: z.int().min(1).describe('Last line to show (default: the end).').optional(),
  })
  .superRefine(({ start_line: start, end_line: end }, ctx) => {
    if (start !== undefined && end !== undefined && end < start) {
      ctx.addIssue({ code: 'custom', message: `end_line (${end}) must not be before start_line (${start})` });
    }
  });

/** Arguments of read_file. */
export type ReadFileArgs = z.output<typeof readFileArguments>;

/** Reads a text file (at most 1 MB) of the workspace as numbered lines, whole or a range. */
export const readFile = defineTool({
  name: 'read_file',
  description:
    `Read a text file of the workspace; lines come numbered. Give start_line/end_line (1-based, inclusive) ` +
    `for a range. Files over ${MAX_FILE_BYTES} bytes and binary files are refused.`,
  schema: readFileArguments,
  isMutating: false,
  async run(ctx, args) {
    const result = await runHelper(ctx, 'read', { ...args });
    const range = args.start_line || args.end_line ? ` (lines ${args.start_line ?? 1}-${args.end_line ?? 'end'})` : '';
    return helperOutcome('read_file', result, `read ${args.path}${range}`);
  },
});
