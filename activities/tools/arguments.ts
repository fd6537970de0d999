/** Hand-written checks of the model's tool arguments; each failure names the field. */
import { ToolArgumentError } from './errors';

/** The arguments as an object, or a ToolArgumentError. */
export function argumentObject(args: unknown): Record<string, unknown> {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new ToolArgumentError('arguments must be a JSON object');
  }
  return args as Record<string, unknown>;
}

/** A required string field; `nonEmpty` refuses '' and whitespace. */
export function requiredString(args: Record<string, unknown>, field: string, nonEmpty = true): string {
  const value = args[field];
  if (value === undefined || value === null) throw new ToolArgumentError(`${field} is required`);
  if (typeof value !== 'string') throw new ToolArgumentError(`${field} must be a string, got ${typeName(value)}`);
  if (nonEmpty && value.trim() === '') throw new ToolArgumentError(`${field} must not be empty`);
  return value;
}

/** An optional non-empty string field. */
export function optionalString(args: Record<string, unknown>, field: string): string | undefined {
  if (args[field] === undefined || args[field] === null) return undefined;
  return requiredString(args, field);
}

/** An optional number field within [min, max]; `integer` refuses fractions. */
export function optionalNumber(
  args: Record<string, unknown>,
  field: string,
  range: { min: number; max: number; integer?: boolean },
): number | undefined {
  const value = args[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ToolArgumentError(`${field} must be a number, got ${typeName(value)}`);
  }
  if (range.integer && !Number.isInteger(value)) throw new ToolArgumentError(`${field} must be a whole number`);
  if (value < range.min || value > range.max) {
    throw new ToolArgumentError(`${field} must be between ${range.min} and ${range.max}, got ${value}`);
  }
  return value;
}

/** A JSON-ish name for the type of a value, for messages. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
