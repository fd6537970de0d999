/** read_file: a text file of the workspace with numbered lines. */
import { argumentObject, optionalNumber, requiredString } from './arguments';
import { ToolArgumentError } from './errors';
import { helperOutcome, MAX_FILE_BYTES, runHelper } from './sandbox-helper';
import type { Tool } from './tool';

/** Arguments of read_file. */
export interface ReadFileArgs {
  path: string;
  start_line?: number;
  end_line?: number;
}

/** Reads a text file (at most 1 MB) of the workspace as numbered lines, whole or a range. */
export const readFile: Tool<ReadFileArgs> = {
  name: 'read_file',
  description:
    `Read a text file of the workspace; lines come numbered. Give start_line/end_line (1-based, inclusive) ` +
    `for a range. Files over ${MAX_FILE_BYTES} bytes and binary files are refused.`,
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path relative to the workspace root.' },
      start_line: { type: 'integer', minimum: 1, description: 'First line to show (default 1).' },
      end_line: { type: 'integer', minimum: 1, description: 'Last line to show (default: the end).' },
    },
    required: ['path'],
  },
  isMutating: false,
  parse(raw) {
    const args = argumentObject(raw);
    const range = { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true };
    const parsed: ReadFileArgs = {
      path: requiredString(args, 'path'),
      start_line: optionalNumber(args, 'start_line', range),
      end_line: optionalNumber(args, 'end_line', range),
    };
    if (parsed.start_line !== undefined && parsed.end_line !== undefined && parsed.end_line < parsed.start_line) {
      throw new ToolArgumentError(`end_line (${parsed.end_line}) must not be before start_line (${parsed.start_line})`);
    }
    return parsed;
  },
  async run(ctx, args) {
    const result = await runHelper(ctx, 'read', { ...args });
    const range = args.start_line || args.end_line ? ` (lines ${args.start_line ?? 1}-${args.end_line ?? 'end'})` : '';
    return helperOutcome('read_file', result, `read ${args.path}${range}`);
  },
};
