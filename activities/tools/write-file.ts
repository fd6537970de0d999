/** write_file: creates or replaces a text file of the workspace. */
import { z } from 'zod';
import { anyText, text } from './arguments';
import { defineTool } from './define-tool';
import { helperOutcome, MAX_FILE_BYTES, runHelper } from './sandbox-helper';

/** The arguments of write_file: a path and the whole text content (empty is fine; NUL and over 1 MB are not). */
export const writeFileArguments = z.object({
  path: text('Path relative to the workspace root.'),
  content: anyText('The complete new content of the file.').superRefine((content, ctx) => {
    const bytes = Buffer.byteLength(content);
    if (bytes > MAX_FILE_BYTES)
      ctx.addIssue({ code: 'custom', message: `is ${bytes} bytes; write_file writes at most ${MAX_FILE_BYTES}` });
    else if (content.includes('\0')) ctx.addIssue({ code: 'custom', message: 'must be text (it has NUL characters)' });
  }),
});

/** Arguments of write_file. */
export type WriteFileArgs = z.output<typeof writeFileArguments>;

/** Writes a whole text file (at most 1 MB), creating its parent directories. */
export const writeFile = defineTool({
  name: 'write_file',
  description:
    'Create a text file or replace its whole content; parent directories are created. ' +
    'For small changes to an existing file prefer apply_patch.',
  schema: writeFileArguments,
  isMutating: true,
  async run(ctx, args) {
    const result = await runHelper(ctx, 'write', { path: args.path }, args.content);
    return helperOutcome('write_file', result, `wrote ${args.path} (${Buffer.byteLength(args.content)} bytes)`);
  },
});
