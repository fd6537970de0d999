/** Printing helpers shared by the CLI commands. */

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints aligned `label: value` lines. */
export function printFields(fields: [string, string | number | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) if (v !== undefined && v !== '') process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
}
