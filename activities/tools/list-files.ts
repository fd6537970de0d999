/** list_files: the files and directories under a workspace path. */
import { argumentObject, optionalNumber, optionalString } from './arguments';
import { helperOutcome, MAX_LIST_ENTRIES, runHelper } from './sandbox-helper';
import type { Tool } from './tool';

/** Arguments of list_files. */
export interface ListFilesArgs {
  path?: string;
  depth?: number;
}

/** Lists paths under a directory (directories end in '/'), without .git, at most 500 entries. */
export const listFiles: Tool<ListFilesArgs> = {
  name: 'list_files',
  description:
    `List files and directories under a workspace directory (directories end with '/'; .git is skipped), ` +
    `shallowest first, at most ${MAX_LIST_ENTRIES} entries. Paths are relative to the workspace root.`,
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Directory relative to the workspace root (default: the root).' },
      depth: { type: 'integer', minimum: 1, description: 'How many levels down to go (default: all; 1 = direct children).' },
    },
    required: [],
  },
  isMutating: false,
  parse(raw) {
    const args = argumentObject(raw);
    return {
      path: optionalString(args, 'path'),
      depth: optionalNumber(args, 'depth', { min: 1, max: 1000, integer: true }),
    };
  },
  async run(ctx, args) {
    const result = await runHelper(ctx, 'list', { ...args });
    return helperOutcome('list_files', result, `listed ${args.path ?? '.'}${args.depth ? ` (depth ${args.depth})` : ''}`);
  },
};
