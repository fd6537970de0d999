/** The tools the model can call, their definitions, and the dispatcher of one call. */
import type { ToolDefinition } from '../shared/chat';
import { stripHiddenUnicode, stripHiddenUnicodeWithNote } from '../security/hidden-unicode';
import { applyPatch } from './apply-patch';
import { ToolArgumentError } from './errors';
import { FINISH_TOOL_NAME, finishToolDefinition } from './finish';
import { listFiles } from './list-files';
import { readFile } from './read-file';
import { search } from './search';
import { oneLine } from './sandbox-helper';
import { shell } from './shell';
import { writeFile } from './write-file';
import type { Tool, ToolContext, ToolOutcome } from './tool';

/** Every tool that runs in the sandbox. */
export const TOOLS: readonly Tool[] = [shell, readFile, writeFile, applyPatch, search, listFiles];

/** The definitions sent to the model: every tool plus finish. */
export function toolDefinitions(): ToolDefinition[] {
  return [
    ...TOOLS.map(({ name, description, parameters }) => ({ name, description, parameters })),
    finishToolDefinition,
  ];
}

/** The sandbox tool with this name, if any. */
export function findTool(name: string): Tool | undefined {
  return TOOLS.find((tool) => tool.name === name);
}

/**
 * Runs one tool call of the model. Malformed JSON, an unknown tool and invalid
 * arguments come back as ok=false for the model; infrastructure errors are thrown.
 */
export async function runToolCall(ctx: ToolContext, name: string, rawArgumentsJson: string): Promise<ToolOutcome> {
  if (name === FINISH_TOOL_NAME) throw new Error('finish is handled by the workflow, not run as a tool');
  const tool = findTool(name);
  if (!tool) {
    const known = [...TOOLS.map((t) => t.name), FINISH_TOOL_NAME].join(', ');
    return refuse(`unknown tool ${JSON.stringify(name)}; the tools are: ${known}`);
  }
  let raw: unknown;
  try {
    // Some models send an empty string for a call without arguments.
    raw = rawArgumentsJson.trim() === '' ? {} : JSON.parse(rawArgumentsJson);
  } catch (err) {
    return refuse(`arguments of ${name} are not valid JSON (${(err as Error).message}); send one JSON object`);
  }
  try {
    const args = tool.parse(raw);
    return withoutHiddenUnicode(await tool.run(ctx, args));
  } catch (err) {
    if (err instanceof ToolArgumentError) return refuse(`invalid arguments for ${name}: ${err.message}`);
    throw err;
  }
}

/** The outcome with hidden Unicode (bidi controls, tag and zero-width characters) removed; the output says what was. */
function withoutHiddenUnicode(outcome: ToolOutcome): ToolOutcome {
  const output = stripHiddenUnicodeWithNote(outcome.output);
  return output === outcome.output
    ? outcome
    : { ...outcome, output, summary: stripHiddenUnicode(outcome.summary).text };
}

/** An outcome for a call the model got wrong. */
function refuse(message: string): ToolOutcome {
  return { ok: false, invalid: true, output: message, summary: oneLine(message) };
}
