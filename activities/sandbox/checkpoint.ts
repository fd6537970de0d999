/**
 * Workspace checkpoints: the binary-safe diff of the workspace against the base
 * commit (added, deleted, renamed and binary files, mode changes), stored per
 * goal and step, and its restore onto a fresh copy of the base commit. A lost
 * sandbox is rebuilt from the last one.
 */
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import type { Sandbox } from './sandbox';

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
