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

/** Prints aligned `label  value` lines; a value's further lines are indented under its first. */
export function printFields(fields: [string, string | number | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields)
    if (v !== undefined && v !== '')
      printText(`${k.padEnd(width)}  ${String(v).replace(/\n/g, `\n${' '.repeat(width + 2)}`)}\n`);
}

/** Whether stdout is a terminal: aligned tables, colour and screen refreshes; plain text when piped. */
export function stdoutIsTerminal(): boolean {
  return process.stdout.isTTY === true;
}

/**
 * A table: on a terminal, a header and columns padded to align; piped, one
 * tab-separated line per row and no header (for cut, awk and scripts).
 */
export function renderTable(header: string[], rows: string[][], terminal = stdoutIsTerminal()): string {
  if (!terminal) return rows.map((r) => `${r.map((c) => c.replace(/[\t\n]/g, ' ')).join('\t')}\n`).join('');
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  return all
    .map(
      (r) =>
        `${r
          .map((c, i) => c + ' '.repeat((widths[i] ?? 0) - [...c].length))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
