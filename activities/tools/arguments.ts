/**
 * One zod schema per tool gives both what the model is told (the JSON schema)
 * and what its arguments are checked against (with one-line messages naming the
 * field); see compileArguments.
 */
import { z } from 'zod';
import { ToolArgumentError } from './errors';

/** A tool's arguments, compiled from its schema: the JSON schema for the model and the check of a call. */
export interface CompiledArguments<A> {
  /** JSON schema of the arguments, sent to the model. */
  parameters: Record<string, unknown>;
  /** The checked arguments; throws ToolArgumentError with a message for the model. */
  parse(raw: unknown): A;
}

/** A JSON schema of one property, as far as messages need it. */
interface PropertySchema {
  minimum?: number;
  maximum?: number;
}

/** A required string that is not empty or only whitespace. */
export function text(description: string) {
  return z
    .string()
    .refine((value) => value.trim() !== '', 'must not be empty')
    .describe(description);
}

/** A required string that may be empty. */
export function anyText(description: string) {
  return z.string().describe(description);
}

/** Compiles an object schema once: the JSON schema for the model and the parser of a call's arguments. */
export function compileArguments<S extends z.ZodObject>(schema: S): CompiledArguments<z.output<S>> {
  const parameters = modelSchema(schema);
  const properties = (parameters.properties ?? {}) as Record<string, PropertySchema>;
  return {
    parameters,
    parse(raw) {
      const parsed = schema.safeParse(withoutNulls(raw), { reportInput: true });
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0];
      throw new ToolArgumentError(issue ? issueMessage(issue, properties) : 'arguments are invalid');
    },
  };
}

/**
 * The JSON schema the model sees: the input side of the schema (what the model
 * sends, before transforms), no `$schema`, always a `required` list, unknown
 * properties declared out, and no bound where zod's integers merely stop at
 * the largest (or smallest) safe integer.
 */
function modelSchema(schema: z.ZodObject): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'throw',
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  }) as Record<string, unknown>;
  delete json.$schema;
  return { ...json, required: json.required ?? [], additionalProperties: false };
}

/**
 * The arguments as an object without null fields: a null field counts as not
 * given (some models send null for every optional field). Anything but an
 * object is refused.
 */
function withoutNulls(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ToolArgumentError('arguments must be a JSON object');
  }
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
}

/** One line for the model, naming the field; numeric bounds come from the JSON schema the model was sent. */
function issueMessage(issue: z.core.$ZodIssue, properties: Record<string, PropertySchema>): string {
  const field = issue.path.map(String).join('.');
  const input: unknown = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `${field} is required`;
      if (issue.expected === 'int') return `${field} must be a whole number`;
      return `${field} must be ${withArticle(issue.expected)}, got ${typeName(input)}`;
    case 'too_small':
    case 'too_big':
      if (issue.origin !== 'number' || issue.inclusive === false) return `${field}: ${issue.message}`;
      return `${field} must be ${range(boundsOf(issue, properties[field]))}, got ${String(input)}`;
    case 'custom':
      return field ? `${field} ${issue.message}` : issue.message;
    default:
      return field ? `${field}: ${issue.message}` : issue.message;
  }
}

/** The bounds of a number field: the JSON schema's, with the one the value broke taken from the issue. */
function boundsOf(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  property: PropertySchema | undefined,
): PropertySchema {
  return issue.code === 'too_big'
    ? { ...property, maximum: Number(issue.maximum) }
    : { ...property, minimum: Number(issue.minimum) };
}

/** "between 1 and 10", "at least 1" or "at most 10". */
function range(property: PropertySchema | undefined): string {
  const { minimum, maximum } = property ?? {};
  if (minimum !== undefined && maximum !== undefined) return `between ${minimum} and ${maximum}`;
  return minimum !== undefined ? `at least ${minimum}` : `at most ${maximum}`;
}

/** "a string", "an integer". */
function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** A JSON-ish name for the type of a value, for messages. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
