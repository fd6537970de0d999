/**
 * Reading a unified diff (as `git diff` / `git diff-tree -p` write it) into the
 * files it changes: their paths, new modes and added lines. Works on text or on
 * the raw bytes, so the added lines of a binary file (`-a`) can be read as bytes.
 */

/** One line a patch adds, as it was in the patch (bytes when the patch was given as bytes). */
export interface RawAddedLine {
  /** 1-based line number in the new file. */
  line: number;
  raw: string | Buffer;
}

/** One file of a patch. */
export interface PatchFile {
  /** The new path (the old one for a deletion). */
  path: string;
  /** Every path this file's headers name (old and new names). */
  paths: string[];
  /** Git mode of the new file (`100644`, `100755`, `120000` symlink, `160000` gitlink), when the patch says. */
  newMode?: string;
  deleted: boolean;
  /** True when git wrote `Binary files … differ` or a `GIT binary patch` for it. */
  binaryMarker: boolean;
  added: RawAddedLine[];
}

/** One line the patch adds, decoded as text. */
export interface AddedLine {
  path: string;
  /** 1-based line number in the new file. */
  line: number;
  text: string;
}

/** The files of a patch, in order. */
export function parsePatchFiles(patch: string | Buffer): PatchFile[] {
  const files: PatchFile[] = [];
  let file: PatchFile | undefined;
  let sawNewName = false;
  let line = 0;
  let oldLeft = 0;
  let newLeft = 0;
  const start = (paths: string[]): PatchFile => {
    const f: PatchFile = { path: paths[paths.length - 1] ?? '', paths, deleted: false, binaryMarker: false, added: [] };
    files.push(f);
    sawNewName = false;
    oldLeft = newLeft = 0;
    return f;
  };
  for (const raw of linesOf(patch)) {
    const inHunk = oldLeft > 0 || newLeft > 0;
    if (inHunk) {
      const first = typeof raw === 'string' ? raw.charCodeAt(0) : raw[0];
      if (first === 0x2b /* + */) {
        file?.added.push({ line, raw: raw.slice(1) });
        line++;
        newLeft--;
        continue;
      }
      if (first === 0x2d /* - */) {
        oldLeft--;
        continue;
      }
      if (first === 0x20 /* space */) {
        line++;
        oldLeft--;
        newLeft--;
        continue;
      }
      if (first === 0x5c /* \ No newline at end of file */) continue;
      // Anything else ends a malformed hunk; read it as a header below.
      oldLeft = newLeft = 0;
    }
    const text = typeof raw === 'string' ? raw : raw.toString('utf8');
    let m: RegExpExecArray | null;
    if ((m = /^diff --git (.+)$/.exec(text))) {
      file = start(splitDiffHeader(m[1] ?? ''));
    } else if ((m = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(text))) {
      file ??= start([]);
      line = Number(m[2]);
      oldLeft = m[1] === undefined ? 1 : Number(m[1]);
      newLeft = m[3] === undefined ? 1 : Number(m[3]);
    } else if ((m = /^--- (.+)$/.exec(text))) {
      if (!file || sawNewName) file = start([]);
      addPath(file, m[1] ?? '', false);
    } else if ((m = /^\+\+\+ (.+)$/.exec(text))) {
      if (!file || sawNewName) file = start([]);
      addPath(file, m[1] ?? '', true);
      sawNewName = true;
    } else if (file && (m = /^(?:rename|copy) (from|to) (.+)$/.exec(text))) {
      const p = unquote(m[2] ?? '');
      if (!file.paths.includes(p)) file.paths.push(p);
      if (m[1] === 'to') file.path = p;
    } else if (file && (m = /^(?:new file mode|new mode) (\d+)$/.exec(text))) {
      file.newMode = m[1];
    } else if (file && /^deleted file mode /.test(text)) {
      file.deleted = true;
    } else if (file && (m = /^index [0-9a-f]+\.\.[0-9a-f]+ (\d+)$/.exec(text))) {
      file.newMode ??= m[1];
    } else if (file && (/^Binary files .* differ$/.test(text) || text === 'GIT binary patch')) {
      file.binaryMarker = true;
    }
  }
  return files;
}

/** The lines a unified diff adds, with their file and line number (bytes read as UTF-8). */
export function addedLines(patch: string | Buffer): AddedLine[] {
  return parsePatchFiles(patch).flatMap((f) =>
    f.added.map((a) => ({
      path: f.path,
      line: a.line,
      text: typeof a.raw === 'string' ? a.raw : a.raw.toString('utf8'),
    })),
  );
}

/** Every path a patch names: old and new names, renames and copies, binary files and mode changes. */
export function changedPathsOfPatch(patch: string | Buffer): string[] {
  const paths = new Set<string>();
  for (const f of parsePatchFiles(patch)) for (const p of f.paths) paths.add(p);
  paths.delete('');
  return [...paths];
}

/** Lines of a patch without their `\n`; a Buffer is split on the byte, so lines stay bytes. */
function* linesOf(patch: string | Buffer): Generator<string | Buffer> {
  if (typeof patch === 'string') {
    yield* patch.split('\n');
    return;
  }
  let from = 0;
  while (from <= patch.length) {
    const nl = patch.indexOf(0x0a, from);
    const end = nl < 0 ? patch.length : nl;
    yield patch.subarray(from, end);
    if (nl < 0) return;
    from = nl + 1;
  }
}

/** Records a `---` / `+++` name (not /dev/null) on a file. */
function addPath(file: PatchFile, header: string, isNew: boolean): void {
  const p = unquote(header);
  if (p === '/dev/null') {
    if (isNew) file.deleted = true;
    return;
  }
  const path = stripPrefix(p);
  if (!file.paths.includes(path)) file.paths.push(path);
  if (isNew || file.path === '') file.path = path;
}

/** `a/x` → `x`, `b/x` → `x`. */
function stripPrefix(p: string): string {
  return p.replace(/^[ab]\//, '');
}

/** Undoes git's C-style quoting of unusual paths (`"a/tab\there"`). */
function unquote(p: string): string {
  const trimmed = p.replace(/\t$/, '');
  if (!trimmed.startsWith('"') || !trimmed.endsWith('"')) return trimmed;
  const body = trimmed.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body.charAt(++i);
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else {
      bytes.push(
        ({ n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[next] ??
          next.charCodeAt(0),
      );
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The paths of a `diff --git a/x b/x` header; for unquoted names with spaces, only when both halves agree. */
function splitDiffHeader(rest: string): string[] {
  const quoted = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
  if (quoted) return unique([stripPrefix(unquote(quoted[1] ?? '')), stripPrefix(unquote(quoted[2] ?? ''))]);
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half)) {
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (stripPrefix(a) === stripPrefix(b)) return [stripPrefix(a)];
  }
  return [];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
