/**
 * The in-sandbox file helper: one `python3 -c` per tool call resolves the path
 * inside the container (realpath, so symbolic links count), confines it to the
 * workspace, and does the file work. Contents travel over stdin, never argv
 * (one argv string is capped at 128 KiB by the kernel).
 */
import type { ExecResult } from '../sandbox/sandbox';
import type { ToolContext, ToolOutcome } from './tool';

/** Largest file read_file reads and write_file writes. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Most entries list_files prints. */
export const MAX_LIST_ENTRIES = 500;
/** Exit code of a refusal the model should read (a path outside the workspace, a binary file). */
export const HELPER_REFUSED = 3;

/** The helper's Python source; ops: read, write, list, search. */
export const HELPER_SOURCE = String.raw`
import json, os, sys, traceback

WORKSPACE = '/workspace'
MAX_FILE_BYTES = ${MAX_FILE_BYTES}
MAX_LIST_ENTRIES = ${MAX_LIST_ENTRIES}
REFUSED = ${HELPER_REFUSED}


class Refused(Exception):
    pass


def inside(path):
    return path == WORKSPACE or path.startswith(WORKSPACE + '/')


def resolve(path):
    if '\0' in path:
        raise Refused('path contains a NUL character')
    joined = os.path.normpath(os.path.join(WORKSPACE, path))
    if not inside(joined):
        raise Refused(f'{path}: outside the workspace ({WORKSPACE})')
    real = os.path.realpath(joined)
    if not inside(real):
        raise Refused(f'{path}: a symbolic link leads outside the workspace')
    return real


def shown(real):
    return os.path.relpath(real, WORKSPACE)


def emit(text):
    sys.stdout.buffer.write(text.encode('utf-8', 'replace'))


def read(args):
    real = resolve(args['path'])
    name = shown(real)
    if os.path.isdir(real):
        raise Refused(f'{name}: is a directory (use list_files)')
    if not os.path.isfile(real):
        raise Refused(f'{name}: no such file')
    size = os.path.getsize(real)
    if size > MAX_FILE_BYTES:
        raise Refused(f'{name}: {size} bytes, larger than read_file reads ({MAX_FILE_BYTES}); use search, or shell with head/sed -n')
    with open(real, 'rb') as f:
        data = f.read()
    if b'\0' in data:
        raise Refused(f'{name}: binary file')
    lines = data.decode('utf-8', 'replace').split('\n')
    if lines[-1] == '':
        lines.pop()
    total = len(lines)
    if total == 0:
        emit(f'{name}: empty file\n')
        return
    start = args.get('start_line') or 1
    end = min(args.get('end_line') or total, total)
    if start > total:
        raise Refused(f'{name}: start_line {start} is past the end of the file ({total} lines)')
    numbered = ''.join(f'{n:6}\t{line}\n' for n, line in enumerate(lines[start - 1:end], start))
    emit(f'{name}: lines {start}-{end} of {total}\n{numbered}')


def write(args):
    real = resolve(args['path'])
    name = shown(real)
    if os.path.isdir(real):
        raise Refused(f'{name}: is a directory')
    content = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise Refused(f'{name}: content larger than write_file writes ({MAX_FILE_BYTES} bytes)')
    if b'\0' in content:
        raise Refused(f'{name}: content is binary (has NUL bytes)')
    existed = os.path.exists(real)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, 'wb') as f:
        f.write(content)
    emit(f'wrote {len(content)} bytes to {name}' + (' (replaced)' if existed else ' (new file)') + '\n')


def list_files(args):
    base = resolve(args.get('path') or '.')
    if not os.path.isdir(base):
        raise Refused(f'{shown(base)}: not a directory')
    depth = args.get('depth')
    entries, queue, truncated = [], [(base, 1)], False
    while queue and not truncated:
        directory, level = queue.pop(0)
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if name == '.git':
                continue
            if len(entries) == MAX_LIST_ENTRIES:
                truncated = True
                break
            full = os.path.join(directory, name)
            is_dir = os.path.isdir(full) and not os.path.islink(full)
            entries.append(shown(full) + ('/' if is_dir else ''))
            if is_dir and (depth is None or level < depth):
                queue.append((full, level + 1))
    entries.sort()
    if not entries:
        emit(f'{shown(base)}: empty directory\n')
        return
    note = f'[stopped at {MAX_LIST_ENTRIES} entries; list a subdirectory or use a smaller depth]\n' if truncated else ''
    emit('\n'.join(entries) + '\n' + note)


def search(args):
    base = resolve(args.get('path') or '.')
    argv = ['rg', '-n', '--no-heading', '--color', 'never', '--max-columns', '400', '--max-columns-preview']
    if args.get('glob'):
        argv += ['--glob', args['glob']]
    argv += ['-e', args['pattern']]
    if base != WORKSPACE:
        argv += ['--', shown(base)]
    os.chdir(WORKSPACE)
    os.execvp('rg', argv)


OPS = {'read': read, 'write': write, 'list': list_files, 'search': search}

try:
    OPS[sys.argv[1]](json.loads(sys.argv[2]))
except Refused as e:
    emit(f'{e}\n')
    sys.exit(REFUSED)
except OSError as e:
    name = shown(e.filename) if isinstance(e.filename, str) and inside(e.filename) else e.filename
    emit(f'{name}: {e.strerror}\n')
    sys.exit(REFUSED)
except Exception:
    traceback.print_exc()
    sys.exit(70)
`;

/** Runs one helper op in the sandbox; `stdin` carries file contents. */
export function runHelper(
  ctx: ToolContext,
  op: 'read' | 'write' | 'list' | 'search',
  args: Record<string, unknown>,
  stdin?: string,
): Promise<ExecResult> {
  return ctx.sandbox.exec(ctx.containerId, ['python3', '-c', HELPER_SOURCE, op, JSON.stringify(args)], {
    timeoutMs: ctx.commandTimeoutMs,
    maxOutputBytes: ctx.maxOutputBytes,
    stdin,
  });
}

/** Cuts text to one line of at most `max` characters, for ToolOutcome.summary. */
export function oneLine(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** The outcome of a helper op that succeeded or was refused; anything else is an infrastructure failure. */
export function helperOutcome(tool: string, result: ExecResult, summary: string): ToolOutcome {
  if (result.exitCode === 0 && !result.timedOut) return { ok: true, output: result.stdout, summary };
  if (result.exitCode === HELPER_REFUSED && !result.timedOut) {
    return { ok: false, output: result.stdout, summary: oneLine(`${tool} refused: ${result.stdout}`) };
  }
  throw new Error(
    `${tool} helper failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}): ${oneLine(result.stderr || result.stdout, 2000)}`,
  );
}
