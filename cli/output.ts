/** Printing helpers shared by the CLI commands; everything printed goes through terminalSafe. */
import { terminalSafe, terminalSafeJson } from './terminal-text';

/** Prints text on stdout, without escape sequences, control characters (but \n and \t) or hidden Unicode. */
export function printText(text: string): void {
  process.stdout.write(terminalSafe(text));
}

/** Prints text on stderr, made safe like printText. */
export function printError(text: string): void {
  process.stderr.write(terminalSafe(text));
}

/** Prints a value as indented JSON on stdout (characters a terminal acts on are \u-escaped). */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalSafeJson(value, 2)}\n`);
}

/** Prints a value as one line of JSON on stdout (characters a terminal acts on are \u-escaped). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${terminalSafeJson(value)}\n`);
}

/** Prints aligned `label: value` lines. */
export function printFields(fields: [string, string | number | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) if (v !== undefined && v !== '') printText(`${k.padEnd(width)}  ${v}\n`);
}
