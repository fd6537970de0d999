/**
 * Workspace checkpoints: the binary-safe diff of the workspace against the base
 * commit (added, deleted, renamed and binary files, mode changes), stored per
 * goal and step, and its restore onto a fresh copy of the base commit. A lost
 * sandbox is rebuilt from the last one.
 */
import { randomBytes } from 'crypto';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import { WORKSPACE, type ExecOptions, type ExecResult, type Sandbox, type SandboxSpec } from './sandbox';
import { trimOutput } from './trim-output';

/** Largest checkpoint read back from the sandbox, in bytes. */
const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/**
 * Stages everything in a throw-away index (the agent's own index and `git diff`
 * stay as they were) and prints the diff against the base commit, in base64
 * because a text diff may hold bytes that are not UTF-8. The workspace's
 * .git/info/exclude keeps caches out.
 */
const CHECKPOINT_SCRIPT = `set -euo pipefail
idx=$(mktemp /tmp/drydock-checkpoint-index.XXXXXX)
trap 'rm -f "$idx"' EXIT
cp .git/index "$idx" 2>/dev/null || true
export GIT_INDEX_FILE="$idx"
git -c core.hooksPath=/dev/null add --all
git -c core.hooksPath=/dev/null diff --cached --binary --full-index "$1" | base64 -w0`;

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
export async function checkpointWorkspace(sandbox: Sandbox, containerId: string, store: ArtifactStore, baseCommit: string, key: string): Promise<void> {
  const r = await sandbox.exec(containerId, ['bash', '-c', CHECKPOINT_SCRIPT, 'checkpoint', baseCommit], {
    maxOutputBytes: MAX_CHECKPOINT_BYTES * 2,
    timeoutMs: 120_000,
  });
  if (r.exitCode !== 0) throw new Error(`checkpointing the workspace failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`);
  if (r.stdoutBytes > MAX_CHECKPOINT_BYTES * 2) throw new Error(`the workspace diff is larger than ${MAX_CHECKPOINT_BYTES} bytes; cannot checkpoint it`);
  await store.put(key, Buffer.from(r.stdout, 'base64'));
}

/** Resets the workspace to baseCommit and applies the checkpoint stored under `key` (none: the base commit as is). */
export async function restoreWorkspace(sandbox: Sandbox, containerId: string, store: ArtifactStore, baseCommit: string, key?: string): Promise<{ bytes: number }> {
  const patch = key ? await store.get(key) : Buffer.alloc(0);
  const apply = patch.length > 0;
  const r = await sandbox.exec(containerId, ['bash', '-c', RESTORE_SCRIPT, 'restore', baseCommit, apply ? 'apply' : 'none'], {
    stdin: apply ? patch : undefined,
    maxOutputBytes: 64 * 1024,
    timeoutMs: 120_000,
  });
  if (r.exitCode !== 0) throw new Error(`restoring the workspace from ${key ?? 'the base commit'} failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`);
  return { bytes: patch.length };
}

/**
 * Runs a tool's command and then the checkpoint in ONE exec (one round trip
 * instead of two): the command's output, a random marker line, then the base64
 * diff. The command's exit code is the exec's. When the diff is the one the
 * last checkpoint stored (its sha256 is kept in /tmp beside that checkpoint's
 * key), `=<key>` is printed instead of the diff. Git does the comparing, so an
 * ignored tree (node_modules) costs nothing and a file touched or changed back
 * is no change.
 */
const COMMAND_THEN_CHECKPOINT = `marker="$1"; base="$2"; key="$3"; shift 3
"$@"; rc=$?
printf '\\n%s\\n' "$marker"
stamp=/tmp/.drydock-checkpoint
( set -euo pipefail
  cd ${WORKSPACE}
  idx=/tmp/.drydock-checkpoint-index.$$ out=/tmp/.drydock-checkpoint-diff.$$
  trap 'rm -f "$idx" "$out"' EXIT
  cp .git/index "$idx" 2>/dev/null || true
  export GIT_INDEX_FILE="$idx"
  git -c core.hooksPath=/dev/null add --all
  git -c core.hooksPath=/dev/null diff --cached --binary --full-index "$base" > "$out"
  sum=$(sha256sum < "$out")
  last_key= last_sum=
  if [ -s "$stamp" ]; then { read -r last_key; read -r last_sum; } < "$stamp" || true; fi
  if [ -n "$last_key" ] && [ "$last_sum" = "$sum" ]; then printf '=%s' "$last_key"; exit 0; fi
  printf '%s\\n%s\\n' "$key" "$sum" > "$stamp"
  base64 -w0 < "$out" ) || { rm -f "$stamp"; printf '!'; }
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

  constructor(
    private readonly inner: Sandbox,
    private readonly baseCommit: string,
    /** The key this checkpoint will be stored under (the next exec may name it as unchanged). */
    private readonly key: string,
  ) {}

  create(spec: SandboxSpec): Promise<{ id: string; created: boolean }> {
    return this.inner.create(spec);
  }

  putArchive(id: string, tar: NodeJS.ReadableStream | Buffer, path: string): Promise<void> {
    return this.inner.putArchive(id, tar, path);
  }

  isRunning(id: string): Promise<boolean> {
    return this.inner.isRunning(id);
  }

  destroy(id: string): Promise<void> {
    return this.inner.destroy(id);
  }

  async exec(id: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const marker = `drydock-checkpoint-${randomBytes(12).toString('hex')}`;
    const r = await this.inner.exec(id, ['bash', '-c', COMMAND_THEN_CHECKPOINT, 'checkpoint', marker, this.baseCommit, this.key, ...argv], {
      ...options,
      maxOutputBytes: (options.maxOutputBytes ?? 1024 * 1024) + MAX_CHECKPOINT_BYTES * 2,
    });
    const at = r.stdout.lastIndexOf(`\n${marker}\n`);
    this.patch = undefined;
    this.unchangedSince = undefined;
    if (at < 0) return r;
    const encoded = r.stdout.slice(at + marker.length + 2);
    if (encoded.startsWith('=')) this.unchangedSince = encoded.slice(1);
    else if (!encoded.endsWith('!')) this.patch = Buffer.from(encoded, 'base64');
    const own = Buffer.from(r.stdout.slice(0, at));
    return { ...r, stdout: trimOutput(own, options.maxOutputBytes ?? 1024 * 1024), stdoutBytes: own.length };
  }
}
