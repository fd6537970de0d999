/**
 * The sandbox side of an envelope patch: reads every file it names and writes
 * every change, each in one exec, through the file helper's own path
 * resolution (realpath, confined to the workspace; see sandbox-helper.ts).
 * Requests travel as JSON on stdin.
 */
import type { ExecResult } from '../sandbox/sandbox';
import type { FileChange, WorkspaceFile } from './envelope-plan';
import { HELPER_REFUSED, HELPER_SOURCE, MAX_FILE_BYTES, oneLine } from './sandbox-helper';
import type { ToolContext } from './tool';

/** The helper's definitions (resolve, shown, Refused, emit …) without its dispatch. */
const HELPER_DEFINITIONS = definitionsOf(HELPER_SOURCE);

/** The envelope ops on top of the helper's definitions: read many files, write and delete many. */
export const ENVELOPE_HELPER_SOURCE = `${HELPER_DEFINITIONS}
def text_of(real, name):
    if os.path.isdir(real):
        raise Refused(f'{name}: is a directory')
    size = os.path.getsize(real)
    if size > MAX_FILE_BYTES:
        raise Refused(f'{name}: {size} bytes, larger than apply_patch edits ({MAX_FILE_BYTES}); use shell')
    with open(real, 'rb') as f:
        data = f.read()
    if b'\\0' in data:
        raise Refused(f'{name}: binary file; apply_patch edits text files')
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise Refused(f'{name}: not UTF-8 text; apply_patch edits UTF-8 text files')


def patch_read(request):
    files = []
    for path in request['paths']:
        real = resolve(path)
        name = shown(real)
        content = text_of(real, name) if os.path.exists(real) else None
        files.append({'path': path, 'name': name, 'content': content})
    emit(json.dumps({'files': files}, ensure_ascii=False))


def patch_write(request):
    writes = [(resolve(w['name']), w) for w in request['writes']]
    deletes = [resolve(name) for name in request['deletes']]
    # Check everything before touching anything.
    for real in deletes:
        if not os.path.isfile(real):
            raise Refused(f'{shown(real)}: not a file; cannot delete it')
    for real, w in writes:
        w['data'] = w['content'].encode('utf-8')
        if len(w['data']) > MAX_FILE_BYTES:
            raise Refused(f'{shown(real)}: would be {len(w["data"])} bytes, more than apply_patch writes ({MAX_FILE_BYTES})')
        if os.path.isdir(real):
            raise Refused(f'{shown(real)}: is a directory')
        parent = os.path.dirname(real)
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if not os.path.isdir(parent) and parent not in deletes:
            raise Refused(f'{shown(real)}: {shown(parent)} is a file, not a directory')
    modes = {}
    for real, w in writes:
        if w.get('modeFrom'):
            modes[real] = os.stat(resolve(w['modeFrom'])).st_mode & 0o7777
    for real in deletes:
        os.remove(real)
    for real, w in writes:
        os.makedirs(os.path.dirname(real), exist_ok=True)
        with open(real, 'wb') as f:
            f.write(w['data'])
        if real in modes:
            os.chmod(real, modes[real])
    emit(f'{len(writes)} written, {len(deletes)} deleted\\n')


try:
    {'read': patch_read, 'write': patch_write}[sys.argv[1]](json.loads(sys.stdin.buffer.read().decode('utf-8')))
except Refused as e:
    emit(f'{e}\\n')
    sys.exit(REFUSED)
except OSError as e:
    name = shown(e.filename) if isinstance(e.filename, str) and inside(e.filename) else e.filename
    emit(f'{name}: {e.strerror}\\n')
    sys.exit(REFUSED)
except Exception:
    traceback.print_exc()
    sys.exit(70)
`;

/** The files an envelope names, keyed by the path as written; or the helper's refusal for the model. */
export type ReadFilesResult = { ok: true; files: Map<string, WorkspaceFile> } | { ok: false; refusal: string };

/** Reads every path (null content: no such file); a path outside the workspace or a non-text file is refused. */
export async function readEnvelopeFiles(ctx: ToolContext, paths: readonly string[]): Promise<ReadFilesResult> {
  // JSON of UTF-8 text is at most about twice its size: room for every file at its largest.
  const maxOutputBytes = paths.length * (2 * MAX_FILE_BYTES + 4096);
  const result = await runEnvelopeHelper(ctx, 'read', { paths }, maxOutputBytes);
  if (result.exitCode === HELPER_REFUSED && !result.timedOut) return { ok: false, refusal: result.stdout.trim() };
  assertSucceeded('read', result);
  const { files } = JSON.parse(result.stdout) as { files: ({ path: string } & WorkspaceFile)[] };
  return { ok: true, files: new Map(files.map(({ path, name, content }) => [path, { name, content }])) };
}

/** Writes and deletes every change after checking them all; a refusal (e.g. a directory in the way) is for the model. */
export async function writeEnvelopeChanges(
  ctx: ToolContext,
  changes: readonly FileChange[],
): Promise<{ ok: true } | { ok: false; refusal: string }> {
  const writes = changes.flatMap((c) => (c.content === null ? [] : [{ ...c, content: c.content }]));
  const deletes = changes.filter((c) => c.content === null).map((c) => c.name);
  const result = await runEnvelopeHelper(ctx, 'write', { writes, deletes }, 64 * 1024);
  if (result.exitCode === HELPER_REFUSED && !result.timedOut) return { ok: false, refusal: result.stdout.trim() };
  assertSucceeded('write', result);
  return { ok: true };
}

function runEnvelopeHelper(
  ctx: ToolContext,
  op: 'read' | 'write',
  request: Record<string, unknown>,
  maxOutputBytes: number,
): Promise<ExecResult> {
  return ctx.sandbox.exec(ctx.containerId, ['python3', '-c', ENVELOPE_HELPER_SOURCE, op], {
    stdin: JSON.stringify(request),
    timeoutMs: ctx.commandTimeoutMs,
    maxOutputBytes,
  });
}

/** Throws (an infrastructure failure) unless the helper exited 0 with its whole output. */
function assertSucceeded(op: string, result: ExecResult): void {
  if (result.exitCode === 0 && !result.timedOut && Buffer.byteLength(result.stdout) === result.stdoutBytes) return;
  throw new Error(
    `apply_patch ${op} helper failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}): ` +
      oneLine(result.stderr || result.stdout, 2000),
  );
}

/** The helper source up to its dispatch table, so the envelope ops share its path rules. */
function definitionsOf(source: string): string {
  const dispatch = source.indexOf('\nOPS = {');
  if (dispatch < 0) throw new Error('sandbox-helper.ts: the helper source has no "OPS = {" dispatch table');
  return source.slice(0, dispatch);
}
