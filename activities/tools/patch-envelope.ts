/**
 * The apply_patch envelope models are trained on (Codex's format), parsed into
 * operations; a pure module (no sandbox, no file system):
 *
 *   *** Begin Patch
 *   *** Add File: <path>        then every line `+<text>`
 *   *** Delete File: <path>
 *   *** Update File: <path>     optionally `*** Move to: <path>`, then hunks:
 *   @@ <anchor line>            (zero or more; each narrows where the next is searched)
 *    <context> / -<removed> / +<added>
 *   *** End of File             (after a hunk whose old lines end the file)
 *   *** End Patch
 */

/** First line of an envelope. */
export const BEGIN_PATCH = '*** Begin Patch';
/** Last line of an envelope. */
export const END_PATCH = '*** End Patch';

const ADD_FILE = '*** Add File:';
const DELETE_FILE = '*** Delete File:';
const UPDATE_FILE = '*** Update File:';
const MOVE_TO = '*** Move to:';
const END_OF_FILE = '*** End of File';
/** A unified-diff hunk header a model may mix in: its numbers are ignored, any text after it is an anchor. */
const UNIFIED_HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/;

/** One line of an update hunk: context (' '), removed ('-') or added ('+'). */
export interface HunkLine {
  kind: ' ' | '-' | '+';
  text: string;
}

/** One hunk of an Update File: where it goes (anchors, context) and what it changes. */
export interface EnvelopeHunk {
  /** `@@ <line>` anchors in order: each is searched after the previous one, the hunk's lines after the last. */
  anchors: string[];
  lines: HunkLine[];
  /** Set by `*** End of File`: the hunk's old lines are the last lines of the file. */
  atEndOfFile: boolean;
  /** 1-based line of the patch where the hunk starts, for messages. */
  patchLine: number;
}

/** One file operation of an envelope. */
export type EnvelopeOperation =
  | { type: 'add'; path: string; content: string }
  | { type: 'delete'; path: string }
  | { type: 'update'; path: string; moveTo?: string; hunks: EnvelopeHunk[] };

/** The operations of an envelope, or why it cannot be read (a message for the model). */
export type EnvelopeParse = { ok: true; operations: EnvelopeOperation[] } | { ok: false; error: string };

/** Thrown inside the parser with a message for the model; parseEnvelope returns it as data. */
class EnvelopeSyntaxError extends Error {}

/** True when the patch is an envelope: its first non-blank line is `*** Begin Patch`. */
export function isEnvelope(patch: string): boolean {
  const first = patch.split('\n').find((line) => line.trim() !== '');
  return first?.trim() === BEGIN_PATCH;
}

/** Parses an envelope into its file operations, in order. */
export function parseEnvelope(patch: string): EnvelopeParse {
  try {
    return { ok: true, operations: new EnvelopeParser(patch).operations() };
  } catch (err) {
    if (err instanceof EnvelopeSyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

/** A cursor over the lines of one envelope. */
class EnvelopeParser {
  private readonly lines: string[];
  /** Index of the next line; the body ends before `end`. */
  private at = 0;
  private end = 0;

  constructor(patch: string) {
    this.lines = patch.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  }

  operations(): EnvelopeOperation[] {
    this.findBounds();
    const operations: EnvelopeOperation[] = [];
    while (this.at < this.end) {
      const line = this.lines[this.at] ?? '';
      const header = line.trim();
      if (header === '') this.at++;
      else if (header.startsWith(ADD_FILE)) operations.push(this.addFile(header));
      else if (header.startsWith(DELETE_FILE)) operations.push(this.deleteFile(header));
      else if (header.startsWith(UPDATE_FILE)) operations.push(this.updateFile(header));
      else {
        this.fail(
          `line ${this.at + 1}: expected "*** Add File: <path>", "*** Delete File: <path>" or ` +
            `"*** Update File: <path>", got ${quote(line)}`,
        );
      }
    }
    if (operations.length === 0)
      this.fail('the patch has no file operations between *** Begin Patch and *** End Patch');
    return operations;
  }

  /** Places the cursor after `*** Begin Patch` and `end` at `*** End Patch`, or fails. */
  private findBounds(): void {
    const start = this.lines.findIndex((line) => line.trim() !== '');
    if (start < 0 || this.lines[start]?.trim() !== BEGIN_PATCH) this.fail(`the first line must be "${BEGIN_PATCH}"`);
    const endAt = this.lines.findIndex((line, i) => i > start && line.trim() === END_PATCH);
    if (endAt < 0) {
      this.fail(`the patch ends without a "${END_PATCH}" line (was it cut off?); end it with "${END_PATCH}"`);
    }
    const extra = this.lines.findIndex((line, i) => i > endAt && line.trim() !== '');
    if (extra >= 0) this.fail(`line ${extra + 1}: text after "${END_PATCH}" (line ${endAt + 1}); send one envelope`);
    this.at = start + 1;
    this.end = endAt;
  }

  private addFile(header: string): EnvelopeOperation {
    const path = this.pathOf(header, ADD_FILE);
    this.at++;
    const content: string[] = [];
    let blanks = 0;
    for (; this.at < this.end; this.at++) {
      const line = this.lines[this.at] ?? '';
      if (line.startsWith('***')) break;
      if (line.trim() === '') {
        blanks++;
        continue;
      }
      if (!line.startsWith('+')) {
        this.fail(`line ${this.at + 1}: in "${ADD_FILE} ${path}" every line starts with "+", got ${quote(line)}`);
      }
      // A blank line between added lines is an empty line the model sent without its "+".
      content.push(...Array<string>(blanks).fill(''), line.slice(1));
      blanks = 0;
    }
    return { type: 'add', path, content: content.map((line) => `${line}\n`).join('') };
  }

  private deleteFile(header: string): EnvelopeOperation {
    const path = this.pathOf(header, DELETE_FILE);
    this.at++;
    return { type: 'delete', path };
  }

  private updateFile(header: string): EnvelopeOperation {
    const path = this.pathOf(header, UPDATE_FILE);
    this.at++;
    let moveTo: string | undefined;
    const next = this.lines[this.at]?.trim() ?? '';
    if (this.at < this.end && next.startsWith(MOVE_TO)) {
      moveTo = this.pathOf(next, MOVE_TO);
      this.at++;
    }
    const hunks: EnvelopeHunk[] = [];
    let hunk: EnvelopeHunk | undefined;
    const close = (): void => {
      if (!hunk) return;
      if (hunk.lines.length === 0) {
        this.fail(`line ${hunk.patchLine}: a hunk of "${UPDATE_FILE} ${path}" has no lines after its "@@"`);
      }
      hunks.push(hunk);
      hunk = undefined;
    };
    for (; this.at < this.end; this.at++) {
      const line = this.lines[this.at] ?? '';
      if (line.trim() === END_OF_FILE) {
        if (!hunk || hunk.lines.length === 0) {
          this.fail(`line ${this.at + 1}: "${END_OF_FILE}" must follow a hunk's lines`);
        }
        hunk.atEndOfFile = true;
        close();
        continue;
      }
      if (line.startsWith('***')) break;
      if (line.startsWith('@@')) {
        if (hunk && hunk.lines.length > 0) close();
        hunk ??= { anchors: [], lines: [], atEndOfFile: false, patchLine: this.at + 1 };
        const anchor = anchorOf(line);
        if (anchor !== '') hunk.anchors.push(anchor);
        continue;
      }
      // Blank lines between hunks separate them; inside a hunk a blank line is an empty context line.
      if (line.trim() === '' && !hunk) continue;
      const kind = line === '' ? ' ' : line[0];
      if (kind !== ' ' && kind !== '-' && kind !== '+') {
        this.fail(
          `line ${this.at + 1}: ${quote(line)} is not a hunk line of "${UPDATE_FILE} ${path}"; start it with ` +
            `" " (context), "-" (removed) or "+" (added), or begin a hunk with "@@"`,
        );
      }
      hunk ??= { anchors: [], lines: [], atEndOfFile: false, patchLine: this.at + 1 };
      hunk.lines.push({ kind, text: line.slice(1) });
    }
    close();
    if (hunks.length === 0 && moveTo === undefined) {
      this.fail(`"${UPDATE_FILE} ${path}" has no hunks; give @@ hunks, or "${MOVE_TO} <path>" to rename`);
    }
    return { type: 'update', path, moveTo, hunks };
  }

  /** The path after a header's marker, or fails when there is none. */
  private pathOf(header: string, marker: string): string {
    const path = header.slice(marker.length).trim();
    if (path === '') this.fail(`line ${this.at + 1}: "${marker}" needs a path`);
    return path;
  }

  private fail(message: string): never {
    throw new EnvelopeSyntaxError(message);
  }
}

/** The anchor text of an `@@` line: what follows `@@` (or a unified-diff header's `@@ -a,b +c,d @@`), trimmed. */
function anchorOf(line: string): string {
  const header = UNIFIED_HUNK_HEADER.exec(line);
  return (header ? line.slice(header[0].length) : line.slice(2)).trim();
}

/** A line quoted for a message, cut to 120 characters. */
export function quote(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 119)}…` : line);
}
