/** defineTool: a tool from one zod schema of its arguments. */
import type { z } from 'zod';
import { compileArguments } from './arguments';
import type { Tool, ToolContext, ToolOutcome } from './tool';

/** What a tool is written as: its schema and handler; the JSON schema and the parser are made from the schema. */
export interface ToolOptions<S extends z.ZodObject> {
  name: string;
  description: string;
  /** The arguments: descriptions, constraints and messages in one place. */
  schema: S;
  isMutating: boolean;
  run(ctx: ToolContext, args: z.output<S>): Promise<ToolOutcome>;
}

/** A tool whose `parameters` and `parse` both come from its schema, so they cannot drift. */
export function defineTool<S extends z.ZodObject>(options: ToolOptions<S>): Tool<z.output<S>> {
  const { parameters, parse } = compileArguments(options.schema);
  return {
    name: options.name,
    description: options.description,
    schema: options.schema,
    parameters,
    isMutating: options.isMutating,
    parse,
    run: options.run,
  };
}
