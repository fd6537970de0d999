/**
 * The environment file's `env` as shell text: `export NAME=value;` lines run
 * before an agent-phase command or a check, after the login shell's profile
 * (which would reset a PATH given to the process). A value refers to the
 * variables the command starts with as `$NAME` or `${NAME}` (so
 * `/workspace/.venv/bin:$PATH` puts the venv first on the image's own PATH);
 * nothing else in a value is expanded: no `$(…)`, backticks, `~` or globs.
 */

/** A `$NAME` or `${NAME}` reference inside a value. */
const REFERENCE = /\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/g;

/** One value as a bash word: literal parts single-quoted, references double-quoted. */
export function shellWordOf(value: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of value.matchAll(REFERENCE)) {
    if (m.index > last) parts.push(singleQuoted(value.slice(last, m.index)));
    parts.push(`"\${${m[1] ?? m[2]}}"`);
    last = m.index + m[0].length;
  }
  if (last < value.length || parts.length === 0) parts.push(singleQuoted(value.slice(last)));
  return parts.join('');
}

/** The exports of env, in order (a later value may refer to an earlier one), ending in `; `; '' for none. */
export function envPrelude(env: Record<string, string> | undefined): string {
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) return '';
  return entries.map(([name, value]) => `export ${name}=${shellWordOf(value)}; `).join('');
}

function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
