/** list_files: the files and directories under a workspace path. */
import { z } from 'zod';
import { text } from './arguments';
import { defineTool } from './define-tool';
import { helperOutcome, MAX_LIST_ENTRIES, runHelper } from './sandbox-helper';

/** Deepest listing the model may ask for. */
const MAX_DEPTH = 1000;

/** The arguments of list_files: a directory and how deep to go. */
export const listFilesArguments = z.object({
  path: text('Directory relative to the workspace root (default: the root).').optional(),
  depth: z
    .int()
    .min(1)
    .max(MAX_DEPTH)
    .describe('How many levels down to go (default: all; 1 = direct children).')
    .optional(),
});

/** Arguments of list_files. */
export type ListFilesArgs = z.output<typeof listFilesArguments>;

/** Lists paths under a directory (directories end in '/'), without .git, at most 500 entries. */
export const listFiles = defineTool({
  name: 'list_files',
  description:
    `List files and directories under a workspace directory (directories end with '/'; .git is skipped), ` +
    `shallowest first, at most ${MAX_LIST_ENTRIES} entries. Paths are relative to the workspace root.`,
  schema: listFilesArguments,
  isMutating: false,
  async run(ctx, args) {
    const result = await runHelper(ctx, 'list', { ...args });
    return helperOutcome(
      'list_files',
      result,
      `listed ${args.path ?? '.'}${args.depth ? ` (depth ${args.depth})` : ''}`,
    );
  },
});
