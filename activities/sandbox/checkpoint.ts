/**
 * Workspace checkpoints: the binary-safe diff of the workspace against the base
 * commit (added, deleted, renamed and binary files, mode changes), stored per
 * goal and step, and its restore onto a fresh copy of the base commit. A lost
 * sandbox is rebuilt from the last one.
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

/** Key of a goal's checkpoint after the tool call whose result has conversation index `step`. */
export function checkpointKey(goalId: string, step: number): string {
  return `${goalPrefix(goalId)}/checkpoints/${String(step).padStart(5, '0')}.patch`;
}

/** Stores the workspace's diff against baseCommit under `key`. */
export async function checkpointWorkspace(
  sandbox: Sandbox,
  containerId: string,
  store: ArtifactStore,
  baseCommit: string,
  key: string,
): Promise<void> {
  const r = await sandbox.exec(
    containerId,
    ['bash', '-c', CHECKPOINT_SCRIPT, 'checkpoint', baseCommit, String(MAX_CHECKPOINT_BYTES)],
    {
      maxOutputBytes: MAX_CHECKPOINT_BYTES * 2,
      maxStderrBytes: 64 * 1024,
      timeoutMs: 120_000,
    },
  );
  if (r.exitCode === 5) throw new CheckpointTooLargeError();
  if (r.exitCode !== 0)
    throw new Error(`checkpointing the workspace failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`);
  if (r.stdoutBytes > MAX_CHECKPOINT_BYTES * 2)
    throw new Error(`the workspace diff is larger than ${MAX_CHECKPOINT_BYTES} bytes; cannot checkpoint it`);
  await store.put(key, Buffer.from(r.stdout, 'base64'));
}

/** Resets the workspace to baseCommit and applies the checkpoint stored under `key` (none: the base commit as is). */
export async function restoreWorkspace(
  sandbox: Sandbox,
  containerId: string,
  store: ArtifactStore,
  baseCommit: string,
  key?: string,
): Promise<{ bytes: number }> {
  const patch = key ? await store.get(key) : Buffer.alloc(0);
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
  sum=$(sha256sum < "$out")
  last_key= last_sum=
  if [ -s "$stamp" ]; then { read -r last_key; read -r last_sum; } < "$stamp" || true; fi
  if [ -n "$last_key" ] && [ "$last_sum" = "$sum" ]; then printf '=%s' "$last_key"; exit 0; fi
  printf '%s\\n%s\\n' "$key" "$sum" > "$stamp"
  mv -f "$out" ${CHECKPOINT_FILE}
  printf '@%s' "$(stat -c %s ${CHECKPOINT_FILE})" ) || { rm -f "$stamp"; printf '!'; }
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
    /** The key this checkpoint will be stored under (the next exec may name it as unchanged). */
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
        COMMAND_THEN_CHECKPOINT,
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
