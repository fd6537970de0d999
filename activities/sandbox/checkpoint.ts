/**
 * Workspace checkpoints: the binary-safe diff of the workspace against the base
 * commit (added, deleted, renamed and binary files, mode changes), stored per
 * goal and step, and its restore onto a fresh copy of the base commit. A lost
 * sandbox is rebuilt from the last one.
 *
 * When a setup phase ran, checkpoints are relative to the post-setup baseline
 * instead (a `.tar` key): markBaseline records, in the sandbox, an index of the
 * workspace as setup left it (hashes only, no objects written); a checkpoint is
 * then a tar of the files that differ from it plus the list of those deleted,
 * so what setup made (a venv, node_modules) is never in one, and a restore is
 * the fresh sandbox's own setup plus that tar. Checkpoints only ever go back
 * into a sandbox: the published change is made on the host.
 */
import { randomBytes } from 'crypto';
import { pipeline } from 'stream/promises';
import * as tar from 'tar-stream';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import { WORKSPACE, type ExecOptions, type ExecResult, type Sandbox, type SandboxSpec } from './sandbox';
import { trimOutput } from './trim-output';

/** Largest checkpoint read back from the sandbox, in bytes. */
const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/**
 * Shell: exits 0 when the files git would stage (modified and untracked, not
 * ignored) add up to more than $1 bytes. Checked before `git add`, so a huge
 * file is neither hashed in the sandbox nor read out by the host.
 */
const TOO_BIG_FOR_CHECKPOINT = `too_big() { [ "$(git -c core.hooksPath=/dev/null ls-files -z -m -o --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s+=$1} END {print s+0}')" -gt "$1" ]; }`;

/** Thrown instead of a checkpoint when the workspace's changes are larger than a checkpoint may be. */
export class CheckpointTooLargeError extends Error {
  constructor() {
    super(
      `the workspace's changes add up to more than ${MAX_CHECKPOINT_BYTES / 1024 / 1024} MiB: no checkpoint was taken`,
    );
    this.name = 'CheckpointTooLargeError';
  }
}

/**
 * Stages everything in a throw-away index (the agent's own index and `git diff`
 * stay as they were) and prints the diff against the base commit, in base64
 * because a text diff may hold bytes that are not UTF-8. The workspace's
 * .git/info/exclude keeps caches out.
 */
const CHECKPOINT_SCRIPT = `set -euo pipefail
${TOO_BIG_FOR_CHECKPOINT}
if too_big "$2"; then exit 5; fi
idx=$(mktemp /tmp/drydock-checkpoint-index.XXXXXX)
trap 'rm -f "$idx"' EXIT
cp .git/index "$idx" 2>/dev/null || true
export GIT_INDEX_FILE="$idx"
git -c core.hooksPath=/dev/null add --all
git -c core.hooksPath=/dev/null diff --cached --binary --full-index --no-ext-diff --no-textconv "$1" | base64 -w0`;

/** Resets the workspace to the base commit, drops untracked files (ignored caches stay), applies the patch on stdin. */
const RESTORE_SCRIPT = `set -euo pipefail
git -c core.hooksPath=/dev/null reset -q --hard "$1"
git -c core.hooksPath=/dev/null clean -q -fd
if [ "$2" = apply ]; then git -c core.hooksPath=/dev/null apply --binary --whitespace=nowarn -; fi`;

/** Key of a goal's checkpoint after the tool call whose result has conversation index `step` (`tar`: against the baseline). */
export function checkpointKey(goalId: string, step: number, format: 'patch' | 'tar' = 'patch'): string {
  return `${goalPrefix(goalId)}/checkpoints/${String(step).padStart(5, '0')}.${format}`;
}

/** True for a checkpoint taken against the post-setup baseline. */
export function isBaselineCheckpoint(key: string): boolean {
  return key.endsWith('.tar');
}

/** The sandbox's record of the workspace as setup left it: a git index (paths, modes, hashes, stat data). */
const BASELINE_INDEX = '.git/drydock-baseline.index';
/** The tar member of a baseline checkpoint that lists the deleted paths (NUL-separated); never a workspace path. */
const DELETED_MEMBER = '.git/drydock-checkpoint-deleted';
/** git with no hooks and no fsmonitor (the workspace's config could name programs). */
const G = 'g() { git -c core.hooksPath=/dev/null -c core.fsmonitor=false "$@"; }';

/**
 * Records the baseline index from the base commit ($1): tracked files setup
 * changed or deleted and untracked files that are not ignored, hashed without
 * writing objects (--info-only), so a 500 MB venv costs one read, no copy
 * (symlinks excepted: their blobs are their targets).
 */
const MARK_BASELINE_SCRIPT = `set -euo pipefail
${G}
idx=$(mktemp /tmp/.drydock-baseline-index.XXXXXX)
trap 'rm -f "$idx"' EXIT
export GIT_INDEX_FILE="$idx"
g read-tree "$1"
g update-index -q --refresh >/dev/null 2>&1 || true
{ g ls-files -z -m -d; g ls-files -z -o --exclude-standard; } | { grep -zv '/$' || true; } |
  g update-index -z --add --remove --info-only --stdin
# Symlinks' blobs are written (a few bytes each): git compares a link it cannot trust by stat with its blob.
g ls-files -z -s | { grep -z '^120000 ' || true; } | sed -z 's/^[^\t]*\t//' | g update-index -z --add --stdin
cp "$idx" ${BASELINE_INDEX}
g ls-files -z | tr -cd '\\0' | wc -c`;

/**
 * Shell: writes the lists of what differs from the baseline index to $1.files
 * (changed and new, not ignored) and $1.deleted, in one read-only pass of git
 * over the workspace (a file that is now a folder counts as deleted; the files
 * in it are new); then too_big_list $1.files N says whether they hold more
 * than N bytes, and baseline_tar $1 packs them (the deleted list first, as
 * ${DELETED_MEMBER}), byte for byte the same for the same workspace (no
 * owners, no times).
 */
const BASELINE_FUNCTIONS = `${G}
baseline_lists() {
  [ -f ${BASELINE_INDEX} ] || { echo "the workspace has no baseline index" >&2; return 6; }
  : > "$1.files"; : > "$1.deleted"
  local p
  while IFS= read -r -d '' p; do
    case "$p" in */) continue ;; esac
    if [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; }; then printf '%s\\0' "$p" >> "$1.files"
    else printf '%s\\0' "$p" >> "$1.deleted"; fi
  done < <(GIT_INDEX_FILE=${BASELINE_INDEX} g ls-files -z -m -o --exclude-standard)
}
too_big_list() { [ "$(xargs -0 -r stat -c %s -- < "$1" 2>/dev/null | awk '{s+=$1} END {print s+0}')" -gt "$2" ]; }
baseline_tar() {
  cp "$1.deleted" ${DELETED_MEMBER}
  { printf '%s\\0' ${DELETED_MEMBER}; cat "$1.files"; } |
    tar -c --null --no-recursion --mtime=@0 --owner=0 --group=0 --numeric-owner -T - -f "$1"
}`;

/** Checkpoint against the baseline: the tar in base64 on stdout; exit 5 when too big. */
const BASELINE_CHECKPOINT_SCRIPT = `set -euo pipefail
${BASELINE_FUNCTIONS}
out=$(mktemp /tmp/.drydock-checkpoint.XXXXXX)
trap 'rm -f "$out" "$out.files" "$out.deleted"' EXIT
baseline_lists "$out"
if too_big_list "$out.files" "$1"; then exit 5; fi
baseline_tar "$out"
base64 -w0 < "$out"`;

/**
 * Applies a baseline checkpoint (stdin) onto a sandbox fresh from setup: the
 * deleted paths are removed, then the files are written (times are now's, as
 * git apply leaves them). Nothing is reset: the workspace is the baseline.
 */
const BASELINE_RESTORE_SCRIPT = `set -euo pipefail
ck=$(mktemp /tmp/.drydock-restore.XXXXXX)
trap 'rm -f "$ck"' EXIT
cat > "$ck"
tar -x -O -f "$ck" ${DELETED_MEMBER} | xargs -0 -r rm -rf --
tar -x -m -p -f "$ck" --exclude=${DELETED_MEMBER}`;

/** Records the post-setup baseline index in the sandbox's workspace; returns how many paths it holds. */
export async function markBaseline(sandbox: Sandbox, containerId: string, baseCommit: string): Promise<number> {
  const r = await sandbox.exec(containerId, ['bash', '-c', MARK_BASELINE_SCRIPT, 'baseline', baseCommit], {
    maxOutputBytes: 64 * 1024,
    maxStderrBytes: 64 * 1024,
    timeoutMs: 600_000,
  });
  if (r.exitCode !== 0 || r.timedOut)
    throw new Error(`recording the baseline in the sandbox failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`);
  return Number(r.stdout.trim()) || 0;
}

/** Stores the workspace's diff against baseCommit under `key` (a `.tar` key: against the baseline). */
export async function checkpointWorkspace(
  sandbox: Sandbox,
  containerId: string,
  store: ArtifactStore,
  baseCommit: string,
  key: string,
): Promise<void> {
  const argv = isBaselineCheckpoint(key)
    ? ['bash', '-c', BASELINE_CHECKPOINT_SCRIPT, 'checkpoint', String(MAX_CHECKPOINT_BYTES)]
    : ['bash', '-c', CHECKPOINT_SCRIPT, 'checkpoint', baseCommit, String(MAX_CHECKPOINT_BYTES)];
  const r = await sandbox.exec(containerId, argv, {
    maxOutputBytes: MAX_CHECKPOINT_BYTES * 2,
    maxStderrBytes: 64 * 1024,
    timeoutMs: 120_000,
  });
  if (r.exitCode === 5) throw new CheckpointTooLargeError();
  if (r.exitCode !== 0)
    throw new Error(`checkpointing the workspace failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`);
  if (r.stdoutBytes > MAX_CHECKPOINT_BYTES * 2)
    throw new Error(`the workspace diff is larger than ${MAX_CHECKPOINT_BYTES} bytes; cannot checkpoint it`);
  await store.put(key, Buffer.from(r.stdout, 'base64'));
}

/**
 * Resets the workspace to baseCommit and applies the checkpoint stored under
 * `key` (none: the base commit as is); a baseline checkpoint is applied onto
 * the workspace as the fresh sandbox's setup left it, with no reset.
 */
export async function restoreWorkspace(
  sandbox: Sandbox,
  containerId: string,
  store: ArtifactStore,
  baseCommit: string,
  key?: string,
): Promise<{ bytes: number }> {
  const patch = key ? await store.get(key) : Buffer.alloc(0);
  if (key && isBaselineCheckpoint(key)) {
    const r = await sandbox.exec(containerId, ['bash', '-c', BASELINE_RESTORE_SCRIPT], {
      stdin: patch,
      maxOutputBytes: 64 * 1024,
      timeoutMs: 120_000,
    });
    if (r.exitCode !== 0)
      throw new Error(`restoring the workspace from ${key} failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`);
    return { bytes: patch.length };
  }
  const apply = patch.length > 0;
  const r = await sandbox.exec(
    containerId,
    ['bash', '-c', RESTORE_SCRIPT, 'restore', baseCommit, apply ? 'apply' : 'none'],
    {
      stdin: apply ? patch : undefined,
      maxOutputBytes: 64 * 1024,
      timeoutMs: 120_000,
    },
  );
  if (r.exitCode !== 0)
    throw new Error(
      `restoring the workspace from ${key ?? 'the base commit'} failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`,
    );
  return { bytes: patch.length };
}

/**
 * Where the combined exec leaves a new checkpoint for the host to read with the
 * engine (not through the command's stdout, whose size the command decides):
 * inside .git, on the workspace's own storage, never part of a change.
 */
const CHECKPOINT_FILE = `${WORKSPACE}/.git/.drydock-checkpoint.patch`;

/**
 * Shell, the end of a checkpoint subshell: $out (the new checkpoint) is kept as
 * ${CHECKPOINT_FILE} and reported `@<size>`, or, when it is the same as the one
 * $stamp names, reported `=<its key>`; a failure reports `!`.
 */
const KEEP_CHECKPOINT = `  sum=$(sha256sum < "$out")
  last_key= last_sum=
  if [ -s "$stamp" ]; then { read -r last_key; read -r last_sum; } < "$stamp" || true; fi
  if [ -n "$last_key" ] && [ "$last_sum" = "$sum" ]; then printf '=%s' "$last_key"; exit 0; fi
  printf '%s\\n%s\\n' "$key" "$sum" > "$stamp"
  mv -f "$out" ${CHECKPOINT_FILE}
  printf '@%s' "$(stat -c %s ${CHECKPOINT_FILE})" ) || { rm -f "$stamp"; printf '!'; }`;

/**
 * Runs a tool's command and then the checkpoint in ONE exec (one round trip
 * instead of two): the command's output, a random marker line, then the base64
 * diff. The command's exit code is the exec's. When the diff is the one the
 * last checkpoint stored (its sha256 is kept in /tmp beside that checkpoint's
 * key), `=<key>` is printed instead of the diff. Git does the comparing, so an
 * ignored tree (node_modules) costs nothing and a file touched or changed back
 * is no change.
 */
const COMMAND_THEN_CHECKPOINT = `marker="$1"; base="$2"; key="$3"; limit="$4"; shift 4
"$@"; rc=$?
printf '\\n%s\\n' "$marker"
stamp=/tmp/.drydock-checkpoint
( set -euo pipefail
  cd ${WORKSPACE}
  ${TOO_BIG_FOR_CHECKPOINT}
  if too_big "$limit"; then rm -f "$stamp"; printf '-'; exit 0; fi
  idx=/tmp/.drydock-checkpoint-index.$$ out=/tmp/.drydock-checkpoint-diff.$$
  trap 'rm -f "$idx" "$out"' EXIT
  cp .git/index "$idx" 2>/dev/null || true
  export GIT_INDEX_FILE="$idx"
  git -c core.hooksPath=/dev/null add --all
  git -c core.hooksPath=/dev/null diff --cached --binary --full-index --no-ext-diff --no-textconv "$base" > "$out"
${KEEP_CHECKPOINT}
exit $rc`;

/** COMMAND_THEN_CHECKPOINT against the baseline: the same protocol, the checkpoint a tar (baseline-functions). */
const COMMAND_THEN_BASELINE_CHECKPOINT = `marker="$1"; base="$2"; key="$3"; limit="$4"; shift 4
"$@"; rc=$?
printf '\\n%s\\n' "$marker"
stamp=/tmp/.drydock-checkpoint
( set -euo pipefail
  cd ${WORKSPACE}
  ${BASELINE_FUNCTIONS}
  out=/tmp/.drydock-checkpoint-tar.$$
  trap 'rm -f "$out" "$out.files" "$out.deleted"' EXIT
  baseline_lists "$out"
  if too_big_list "$out.files" "$limit"; then rm -f "$stamp"; printf '-'; exit 0; fi
  baseline_tar "$out"
${KEEP_CHECKPOINT}
exit $rc`;

/**
 * A Sandbox whose exec also checkpoints the workspace, in the same exec; the
 * last checkpoint taken is in `patch`, or `unchangedSince` names the stored one
 * that still holds (neither when none could be taken, e.g. the command timed
 * out: checkpoint separately then).
 */
export class CheckpointingSandbox implements Sandbox {
  /** The workspace's diff against the base commit after the last exec. */
  patch?: Buffer;
  /** Set instead of patch when nothing changed since the checkpoint stored under this key. */
  unchangedSince?: string;
  /** Set when the workspace's changes were too large to checkpoint. */
  tooLarge?: boolean;

  constructor(
    private readonly inner: Sandbox,
    private readonly baseCommit: string,
    /** The key this checkpoint will be stored under (the next exec may name it as unchanged); a `.tar` key: against the baseline. */
    private readonly key: string,
  ) {}

  create(spec: SandboxSpec): ReturnType<Sandbox['create']> {
    return this.inner.create(spec);
  }

  putArchive(id: string, tar: NodeJS.ReadableStream | Buffer, path: string): Promise<void> {
    return this.inner.putArchive(id, tar, path);
  }

  getArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return this.inner.getArchive(id, path);
  }

  hostFolder(id: string, path: string): Promise<string | undefined> {
    return this.inner.hostFolder?.(id, path) ?? Promise.resolve(undefined);
  }

  isRunning(id: string): Promise<boolean> {
    return this.inner.isRunning(id);
  }

  destroy(id: string): Promise<void> {
    return this.inner.destroy(id);
  }

  async exec(id: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const marker = `drydock-checkpoint-${randomBytes(12).toString('hex')}`;
    const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
    const r = await this.inner.exec(
      id,
      [
        'bash',
        '-c',
        isBaselineCheckpoint(this.key) ? COMMAND_THEN_BASELINE_CHECKPOINT : COMMAND_THEN_CHECKPOINT,
        'checkpoint',
        marker,
        this.baseCommit,
        this.key,
        String(MAX_CHECKPOINT_BYTES),
        ...argv,
      ],
      {
        ...options,
        // The status line after the marker is at the very end, in the tail the collector keeps.
        maxOutputBytes,
        maxStderrBytes: options.maxStderrBytes ?? maxOutputBytes,
      },
    );
    const at = r.stdout.lastIndexOf(`\n${marker}\n`);
    this.patch = undefined;
    this.unchangedSince = undefined;
    this.tooLarge = undefined;
    if (at < 0) return r;
    const status = r.stdout.slice(at + marker.length + 2);
    if (status === '-') this.tooLarge = true;
    else if (status.startsWith('=')) this.unchangedSince = status.slice(1);
    else if (/^@\d+$/.test(status)) this.patch = await readCheckpointFile(this.inner, id, Number(status.slice(1)));
    const own = Buffer.from(r.stdout.slice(0, at));
    return {
      ...r,
      stdout: trimOutput(own, maxOutputBytes),
      stdoutBytes: r.stdoutBytes - Buffer.byteLength(r.stdout.slice(at)),
    };
  }
}

/**
 * Reads the checkpoint file the combined exec left, through the engine, at most
 * MAX_CHECKPOINT_BYTES; undefined when it is not the size announced (then the
 * caller checkpoints separately).
 */
async function readCheckpointFile(sandbox: Sandbox, id: string, size: number): Promise<Buffer | undefined> {
  if (size > MAX_CHECKPOINT_BYTES) return undefined;
  const extract = tar.extract();
  const archive = await sandbox.getArchive(id, CHECKPOINT_FILE);
  const feeding = pipeline(archive, extract as unknown as NodeJS.WritableStream).catch((err: unknown) =>
    extract.destroy(err as Error),
  );
  let content: Buffer | undefined;
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total <= MAX_CHECKPOINT_BYTES) chunks.push(chunk);
    }
    if (content === undefined && entry.header.type === 'file') content = Buffer.concat(chunks);
  }
  await feeding;
  return content !== undefined && content.length === size ? content : undefined;
}
