/**
 * The JSON schema each tool sends to the model and the check of its arguments
 * cannot drift: for every tool (and finish), values at the JSON schema's bounds
 * are accepted, values past them are refused with a message naming the field,
 * and a field the JSON schema leaves unbounded is not bounded by the check.
 */
import {
  finishToolDefinition,
  parseFinishArgs,
  TOOLS,
  toolDefinitions,
  ToolArgumentError,
} from '../../activities/tools';

/** The subset of JSON schema the tools use; anything else must be added here, with a check below. */
interface PropertySchema {
  type: 'string' | 'number' | 'integer';
  description: string;
  minimum?: number;
  maximum?: number;
}

interface ObjectSchema {
  type: 'object';
  properties: Record<string, PropertySchema>;
  required: string[];
  additionalProperties: false;
}

/**
 * One valid call per tool. Strings carry rules JSON schema does not state (a
 * path inside the workspace, a diff with file headers); the descriptions say them.
 */
const EXAMPLES: Record<string, Record<string, unknown>> = {
  shell: { command: 'npm test', cwd: 'src', timeout_seconds: 60 },
  read_file: { path: 'src/sum.ts', start_line: 1, end_line: 10 },
  write_file: { path: 'src/sum.ts', content: 'export const one = 1;\n' },
  apply_patch: { patch: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n' },
  search: { pattern: 'sum\\(', path: 'src', glob: '*.ts' },
  list_files: { path: 'src', depth: 2 },
  finish: { summary: 'Fix sum', rationale: 'It added one too many; the tests pass now.' },
};

/** The parser of each definition the model is sent. */
const PARSERS: Record<string, (raw: unknown) => unknown> = {
  ...Object.fromEntries(TOOLS.map((tool) => [tool.name, (raw: unknown) => tool.parse(raw)])),
  [finishToolDefinition.name]: parseFinishArgs,
};

/** The message of the ToolArgumentError a parse throws, or undefined when it accepts. */
function refusal(parse: (raw: unknown) => unknown, raw: unknown): string | undefined {
  try {
    parse(raw);
    return undefined;
  } catch (err) {
    if (!(err instanceof ToolArgumentError)) throw err;
    return err.message;
  }
}

/** True when `value` is valid per the property's JSON schema. */
function validProperty(schema: PropertySchema, value: unknown): boolean {
  if (schema.type === 'string') return typeof value === 'string';
  if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return false;
  return (
    (schema.minimum === undefined || value >= schema.minimum) &&
    (schema.maximum === undefined || value <= schema.maximum)
  );
}

/** True when `args` is valid per the object's JSON schema. */
function validArguments(schema: ObjectSchema, args: Record<string, unknown>): boolean {
  return (
    schema.required.every((field) => field in args) &&
    Object.entries(args).every(
      ([field, value]) => schema.properties[field] !== undefined && validProperty(schema.properties[field], value),
    )
  );
}

/** Values of a JSON type other than the property's. */
function wrongType(schema: PropertySchema): unknown {
  return schema.type === 'string' ? 42 : 'forty-two';
}

const definitions = toolDefinitions();

test('every definition the model is sent has a parser and an example', () => {
  expect(Object.keys(PARSERS).sort()).toEqual(definitions.map((d) => d.name).sort());
  expect(Object.keys(EXAMPLES).sort()).toEqual(definitions.map((d) => d.name).sort());
});

describe.each(definitions.map((d) => [d.name, d.parameters as unknown as ObjectSchema] as const))(
  '%s',
  (name, schema) => {
    const parse = PARSERS[name]!;
    const example = EXAMPLES[name]!;

    test('its JSON schema is an object schema in the subset this test checks, every field described', () => {
      expect(Object.keys(schema).sort()).toEqual(['additionalProperties', 'properties', 'required', 'type']);
      expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
      for (const field of schema.required) expect(schema.properties).toHaveProperty(field);
      for (const property of Object.values(schema.properties)) {
        expect(['string', 'number', 'integer']).toContain(property.type);
        expect(Object.keys(property).filter((k) => !['type', 'description', 'minimum', 'maximum'].includes(k))).toEqual(
          [],
        );
        expect(property.description.length).toBeGreaterThan(10);
      }
    });

    test('its example is valid per the JSON schema and accepted', () => {
      expect(validArguments(schema, example)).toBe(true);
      expect(refusal(parse, example)).toBeUndefined();
    });

    test('a required field left out is refused, naming it; an optional one may be left out', () => {
      for (const field of Object.keys(schema.properties)) {
        const { [field]: _left, ...rest } = example;
        if (schema.required.includes(field)) expect(refusal(parse, rest)).toBe(`${field} is required`);
        else expect(refusal(parse, rest)).toBeUndefined();
      }
    });

    test('a field of the wrong JSON type is refused, naming it', () => {
      for (const [field, property] of Object.entries(schema.properties)) {
        const message = refusal(parse, { ...example, [field]: wrongType(property) });
        expect(message).toMatch(
          new RegExp(`^${field} must be an? ${property.type === 'integer' ? 'number' : property.type}, got `),
        );
      }
    });

    test('numbers are accepted up to the JSON schema bounds and refused past them, naming the field', () => {
      for (const [field, property] of Object.entries(schema.properties)) {
        if (property.type === 'string') continue;
        const step = property.type === 'integer' ? 1 : 0.5;
        const { minimum, maximum } = property;
        const inside = [
          minimum,
          maximum,
          minimum === undefined ? -1e9 : undefined,
          maximum === undefined ? 1e9 : undefined,
        ];
        for (const value of inside.filter((v) => v !== undefined)) {
          // Alone (with the required fields only): other fields may constrain this one (end_line after start_line).
          const args = { ...requiredOnly(example, schema), [field]: value };
          expect({ field, value, refused: refusal(parse, args) }).toEqual({ field, value, refused: undefined });
        }
        const outside = [
          minimum === undefined ? undefined : minimum - step,
          maximum === undefined ? undefined : maximum + step,
        ];
        for (const value of outside.filter((v) => v !== undefined)) {
          const message = refusal(parse, { ...requiredOnly(example, schema), [field]: value });
          expect(message).toMatch(new RegExp(`^${field} must be (between|at least|at most) .*, got ${value}$`));
        }
        if (property.type === 'integer') {
          expect(refusal(parse, { ...requiredOnly(example, schema), [field]: (minimum ?? 0) + 1.5 })).toBe(
            `${field} must be a whole number`,
          );
        }
      }
    });

    test('an optional field sent as null counts as not given', () => {
      for (const field of Object.keys(schema.properties).filter((f) => !schema.required.includes(f))) {
        expect(refusal(parse, { ...example, [field]: null })).toBeUndefined();
      }
    });
  },
);

/** The example with only its required fields. */
function requiredOnly(example: Record<string, unknown>, schema: ObjectSchema): Record<string, unknown> {
  return Object.fromEntries(Object.entries(example).filter(([field]) => schema.required.includes(field)));
}
