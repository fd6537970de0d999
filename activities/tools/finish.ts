/**
 * finish: the call that ends a goal. The workflow handles it (the sandbox never
 * runs it); this is the one place its arguments are defined and read.
 */
import { z } from 'zod';
import type { ChatMessage, ToolDefinition } from '../shared/chat';
import { compileArguments, text } from './arguments';

/** Name of the tool that ends the goal. */
export const FINISH_TOOL_NAME = 'finish';

/** The arguments of finish: what the pull request's title and body say. */
export const finishArguments = z.object({
  summary: text('One line: what was done.'),
  rationale: text('What changed and why, and how it was verified.'),
});

/** Arguments of finish. */
export type FinishArgs = z.output<typeof finishArguments>;

const compiled = compileArguments(finishArguments);

/** The finish tool's definition for the model. */
export const finishToolDefinition: ToolDefinition = {
  name: FINISH_TOOL_NAME,
  description:
    'Call when the goal is done (or cannot be done): the workspace changes become the pull request. ' +
    'summary is the PR title-like one-liner; rationale explains what changed and why, and how it was checked.',
  parameters: compiled.parameters,
};

/** Checks finish's arguments; throws ToolArgumentError with a message for the model. */
export function parseFinishArgs(raw: unknown): FinishArgs {
  return compiled.parse(raw);
}

/**
 * finish's fields as the model sent them, read leniently: a finish call is
 * verified whatever its arguments, so a field that is missing or not a string
 * (or arguments that are not JSON) read as absent rather than refused.
 */
const leniently = z
  .object({
    summary: z.string().optional().catch(undefined),
    rationale: z.string().optional().catch(undefined),
  } satisfies Record<keyof FinishArgs, z.ZodType>)
  .catch({});

/**
 * The arguments of the first finish call of an assistant message, read
 * leniently (see above); undefined when the message has no finish call.
 */
export function readFinishCall(message: ChatMessage): Partial<FinishArgs> | undefined {
  const call =
    message.role === 'assistant' ? message.tool_calls?.find((c) => c.function.name === FINISH_TOOL_NAME) : undefined;
  if (!call) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(call.function.arguments);
  } catch {
    return {};
  }
  return leniently.parse(raw);
}
