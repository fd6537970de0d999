/** A unified diff for the terminal: colour on a TTY (after making every line terminal-safe), binary hunks shown as one line. */
import { terminalSafe } from './terminal-text';

const COLOURS: [RegExp, string][] = [
  [/^(diff --git|index |--- |\+\+\+ |new file|deleted file|similarity|rename |old mode|new mode)/, '\x1b[1m'],
  [/^@@/, '\x1b[36m'],
  [/^\+/, '\x1b[32m'],
  [/^-/, '\x1b[31m'],
];

/** The patch as printed: piped, exactly as stored (terminal-safe); on a terminal, coloured, binary hunks elided. */
export function renderDiff(patch: string, terminal: boolean, colour: boolean): string {
  const safe = terminalSafe(patch);
  if (!terminal) return safe;
  const out: string[] = [];
  let inBinary = false;
  for (const line of safe.split('\n')) {
    if (inBinary) {
      if (line.startsWith('diff --git')) inBinary = false;
      else continue;
    }
    if (line === 'GIT binary patch') {
      inBinary = true;
      out.push('(binary content left out)');
      continue;
    }
    const c = colour ? COLOURS.find(([re]) => re.test(line))?.[1] : undefined;
    out.push(c ? `${c}${line}\x1b[0m` : line);
  }
  return out.join('\n');
}

/** Whether to colour: a terminal, and neither NO_COLOR nor TERM=dumb. */
export function wantsColour(terminal: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return terminal && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}
