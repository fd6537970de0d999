/** write_file: creates or replaces a text file of the workspace. */
import { argumentObject, requiredString } from './arguments';
import { ToolArgumentError } from './errors';
import { helperOutcome, MAX_FILE_BYTES, runHelper } from './sandbox-helper';
import type { Tool } from './tool';

/** Arguments of write_file. */
export interface WriteFileArgs {
  path: string;
  content: string;
}

/** Writes a whole text file (at most 1 MB), creating its parent directories. */
export const writeFile: Tool<WriteFileArgs> = {
  name: 'write_file',
  description:
    'Create a text file or replace its whole content; parent directories are created. ' +
    'For small changes to an existing file prefer apply_patch.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path relative to the workspace root.' },
      content: { type: 'string', description: 'The complete new content of the file.' },
    },
    required: ['path', 'content'],
  },
  isMutating: true,
  parse(raw) {
    const args = argumentObject(raw);
    const parsed = { path: requiredString(args, 'path'), content: requiredString(args, 'content', false) };
    const bytes = Buffer.byteLength(parsed.content);
    if (bytes > MAX_FILE_BYTES) {
      throw new ToolArgumentError(`content is ${bytes} bytes; write_file writes at most ${MAX_FILE_BYTES}`);
    }
    if (parsed.content.includes('\0')) throw new ToolArgumentError('content must be text (it has NUL characters)');
    return parsed;
  },
  async run(ctx, args) {
    const result = await runHelper(ctx, 'write', { path: args.path }, args.content);
    return helperOutcome('write_file', result, `wrote ${args.path} (${Buffer.byteLength(args.content)} bytes)`);
  },
};
