/**
 * Applies envelope operations to file contents in memory: every hunk is matched
 * and every new content computed before anything is written, so a patch either
 * applies whole or not at all. A pure module; the sandbox side is envelope-files.ts.
 */
import { quote, type EnvelopeHunk, type EnvelopeOperation } from './patch-envelope';

/** A file an envelope names, as the workspace has it: its name relative to the root and its text (null: no such file). */
export interface WorkspaceFile {
  name: string;
  content: string | null;
}

/** One change to write: a new content, or null to delete the file. */
export interface FileChange {
  name: string;
  content: string | null;
  /** For the destination of a move: the file whose permissions it keeps. */
  modeFrom?: string;
}

/** What the envelope changes and one line per operation for the model, or why it cannot apply. */
export type EnvelopePlan = { ok: true; changes: FileChange[]; applied: string[] } | { ok: false; error: string };

/** Thrown inside planning with a message for the model; planEnvelope returns it as data. */
class PlanError extends Error {}

/** Line comparisons, strictest first: exact, then ignoring trailing whitespace, then ignoring surrounding whitespace. */
const MATCHERS: ((file: string, patch: string) => boolean)[] = [
  (file, patch) => file === patch,
  (file, patch) => file.trimEnd() === patch.trimEnd(),
  (file, patch) => file.trim() === patch.trim(),
];

/**
 * Plans the operations over the files they name (keyed by the path as the
 * envelope spells it): applied in order to an in-memory copy, so a later
 * operation sees what an earlier one did.
 */
export function planEnvelope(
  operations: readonly EnvelopeOperation[],
  files: ReadonlyMap<string, WorkspaceFile>,
): EnvelopePlan {
  const original = new Map<string, string | null>();
  const state = new Map<string, string | null>();
  const moves = new Map<string, string>();
  const nameOf = (path: string): string => {
    const file = files.get(path);
    if (!file) throw new Error(`apply_patch: ${path} was not read before planning`);
    if (!original.has(file.name)) {
      original.set(file.name, file.content);
      state.set(file.name, file.content);
    }
    return file.name;
  };
  const applied: string[] = [];
  try {
    for (const op of operations) {
      const name = nameOf(op.path);
      const current = state.get(name) ?? null;
      if (op.type === 'add') {
        if (current !== null) fail(`*** Add File: ${name}: the file already exists; use *** Update File to change it`);
        state.set(name, op.content);
        applied.push(`${name} (new file, +${lineCount(op.content)})`);
      } else if (op.type === 'delete') {
        if (current === null) fail(`*** Delete File: ${name}: no such file`);
        state.set(name, null);
        applied.push(`${name} (deleted, -${lineCount(current)})`);
      } else {
        if (current === null) fail(`*** Update File: ${name}: no such file; use *** Add File to create it`);
        const content = applyHunks(name, current, op.hunks);
        const counts = `(+${countOf(op.hunks, '+')} -${countOf(op.hunks, '-')})`;
        const destination = op.moveTo === undefined ? name : nameOf(op.moveTo);
        if (destination === name) {
          state.set(name, content);
          applied.push(`${name} ${counts}`);
        } else {
          if (state.get(destination) != null) fail(`*** Move to: ${destination}: the file already exists`);
          state.set(name, null);
          state.set(destination, content);
          moves.set(destination, moves.get(name) ?? name);
          applied.push(`${name} → ${destination} ${counts}`);
        }
      }
    }
  } catch (err) {
    if (err instanceof PlanError) return { ok: false, error: err.message };
    throw err;
  }
  const changes: FileChange[] = [];
  for (const [name, content] of state) {
    if (content === original.get(name)) continue;
    const from = moves.get(name);
    changes.push(
      content !== null && from !== undefined && original.get(from) != null
        ? { name, content, modeFrom: from }
        : { name, content },
    );
  }
  return { ok: true, changes, applied };
}

/** The file's content with every hunk applied in order, or a PlanError naming the hunk that did not match. */
function applyHunks(name: string, content: string, hunks: readonly EnvelopeHunk[]): string {
  if (hunks.length === 0) return content;
  const eol = content.includes('\r\n') && !/(^|[^\r])\n/.test(content) ? '\r\n' : '\n';
  const lines = content.split(eol);
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  let copied = 0;
  let cursor = 0;
  hunks.forEach((hunk, index) => {
    const which = hunks.length > 1 ? `hunk ${index + 1} of ${hunks.length}` : 'the hunk';
    const where = `${name}: ${which} (patch line ${hunk.patchLine})`;
    for (const anchor of hunk.anchors) {
      const at = seekLines(lines, [anchor], cursor, false);
      if (at === undefined) fail(`${where}: the anchor "@@ ${anchor}" was not found${after(cursor)}`);
      cursor = at + 1;
    }
    const { start, used } = locate(lines, hunk, cursor, where);
    out.push(...lines.slice(copied, start));
    let at = start;
    for (const line of used) {
      // Context keeps the file's own text (it may have matched with different whitespace).
      if (line.kind === ' ') out.push(lines[at++] ?? line.text);
      else if (line.kind === '-') at++;
      else out.push(line.text);
    }
    copied = at;
    cursor = at;
  });
  out.push(...lines.slice(copied));
  // The last line keeps its newline, or its lack of one (an empty file gains one with its first line).
  const final = content === '' || content.endsWith(eol) ? eol : '';
  return out.length === 0 ? '' : out.join(eol) + final;
}

/** Where a hunk's old lines are, and the hunk lines that matched there; a PlanError when nowhere. */
function locate(
  lines: readonly string[],
  hunk: EnvelopeHunk,
  cursor: number,
  where: string,
): { start: number; used: readonly EnvelopeHunk['lines'][number][] } {
  const old = hunk.lines.filter((line) => line.kind !== '+');
  if (old.length === 0) {
    // Only added lines: after the last anchor, else at the end of the file.
    const start = hunk.anchors.length > 0 && !hunk.atEndOfFile ? cursor : lines.length;
    return { start, used: hunk.lines };
  }
  let used = hunk.lines;
  let start = seekLines(lines, texts(used), cursor, hunk.atEndOfFile);
  // Blank context lines at the end of a hunk are often the blank line before the next header.
  while (start === undefined && used.length > 0 && isBlankContext(used[used.length - 1])) {
    used = used.slice(0, -1);
    if (texts(used).length === 0) break;
    start = seekLines(lines, texts(used), cursor, hunk.atEndOfFile);
  }
  if (start === undefined) {
    const place = hunk.atEndOfFile ? ' at the end of the file' : after(cursor);
    fail(`${where}: its context was not found${place}; its first context line is ${quote(old[0]?.text ?? '')}`);
  }
  return { start, used };
}

/**
 * The first index at or after `from` where `pattern` matches `lines`, trying
 * exact, then trailing-whitespace-blind, then whitespace-blind comparison; with
 * `atEnd`, only the position that ends at the last line counts.
 */
export function seekLines(
  lines: readonly string[],
  pattern: readonly string[],
  from: number,
  atEnd: boolean,
): number | undefined {
  const last = lines.length - pattern.length;
  if (pattern.length === 0) return atEnd ? lines.length : from;
  if (last < from) return undefined;
  const first = atEnd ? last : from;
  for (const same of MATCHERS) {
    for (let start = first; start <= last; start++) {
      if (pattern.every((line, i) => same(lines[start + i] ?? '', line))) return start;
    }
  }
  return undefined;
}

/** The old-side texts (context and removed lines) of hunk lines. */
function texts(lines: readonly EnvelopeHunk['lines'][number][]): string[] {
  return lines.filter((line) => line.kind !== '+').map((line) => line.text);
}

function isBlankContext(line: EnvelopeHunk['lines'][number] | undefined): boolean {
  return line?.kind === ' ' && line.text.trim() === '';
}

/** How many lines of a kind the hunks hold. */
function countOf(hunks: readonly EnvelopeHunk[], kind: '+' | '-'): number {
  return hunks.reduce((sum, hunk) => sum + hunk.lines.filter((line) => line.kind === kind).length, 0);
}

/** Lines of a text (a last line without a newline counts). */
function lineCount(text: string): number {
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function after(cursor: number): string {
  return cursor > 0 ? ` after line ${cursor}` : '';
}

function fail(message: string): never {
  throw new PlanError(message);
}
