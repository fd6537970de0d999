/**
 * recordBaseline: the workspace as the setup phase left it, recorded twice.
 * On the host, from the engine's tar of /workspace (nothing the sandbox
 * computes), as a manifest in the store: what collectChange compares with, so
 * that setup's output is never part of the change. In the sandbox, as a git
 * index of hashes: what checkpoints compare with (they only ever go back into
 * a sandbox).
 */
import { failure } from '../../workflows/failures';
import type { SandboxRef } from '../../workflows/types';
import { goalPrefix, safeSegment } from '../store/conversation';
import { markBaseline } from '../sandbox/checkpoint';
import { WORKSPACE } from '../sandbox/sandbox';
import type { HostContext } from './host-context';
import { WorkspaceUnreadableError } from './workspace-archive';
import { decodeBaseline, encodeBaseline, readWorkspaceBaseline, type WorkspaceBaseline } from './workspace-baseline';
import { MAX_ENTRIES } from './workspace-archive';

/** Input of recordBaseline. */
export interface RecordBaselineInput {
  sandbox: SandboxRef;
  goalId: string;
  /** The commit the workspace was copied at. */
  baseCommit: string;
}

/** What recordBaseline recorded: the manifest's key and its size. */
export interface RecordedBaseline {
  baselineRef: string;
  files: number;
  bytes: number;
}

/** Store key of the baseline of one of a goal's sandboxes (a re-provisioned sandbox runs setup again and has its own). */
export function baselineKey(goalId: string, containerName: string): string {
  return `${goalPrefix(goalId)}/baseline/${safeSegment(containerName)}.json.gz`;
}

/** Store key of the baseline of the repository as copied into a sandbox (copyRepository): the part a cached environment's baseline starts from. */
export function copiedBaselineKey(goalId: string, containerName: string): string {
  return `${goalPrefix(goalId)}/baseline/${safeSegment(containerName)}.copied.json.gz`;
}

/**
 * Store key of the baseline runSetup derived from a cached environment's manifest for a sandbox
 * (environment-snapshot.ts); empty when the last setup of that sandbox did not derive one.
 */
export function derivedBaselineKey(goalId: string, containerName: string): string {
  return `${goalPrefix(goalId)}/baseline/${safeSegment(containerName)}.from-cache.json.gz`;
}

/** The baseline runSetup derived for this sandbox, as stored and decoded, or undefined (none, or an empty record). */
async function derivedBaseline(store: HostContext['deps']['store'], key: string) {
  const data = await store.get(key).catch(() => undefined);
  return data && data.length > 0 ? { data, baseline: decodeBaseline(data) } : undefined;
}

/** Creates recordBaseline. */
export function createBaselineActivities(ctx: HostContext) {
  const { deps, limits } = ctx;
  return {
    /** Records the post-setup workspace: a manifest on the host (the change's baseline), an index in the sandbox (the checkpoints'). */
    async recordBaseline(input: RecordBaselineInput): Promise<RecordedBaseline> {
      // A sandbox that started from a cached environment and ran nothing after it: its baseline is known (setup-phase.ts).
      const derived = await derivedBaseline(deps.store, derivedBaselineKey(input.goalId, input.sandbox.containerName));
      const usable = derived && withinLimits(derived.baseline, limits.maxWorkspaceBytes) ? derived : undefined;
      const baseline =
        usable?.baseline ??
        (await readWorkspaceBaseline({
          archive: () => deps.sandbox.getArchive(input.sandbox.containerId, WORKSPACE),
          maxWorkspaceBytes: limits.maxWorkspaceBytes,
        }).catch((err: unknown) => {
          if (err instanceof WorkspaceUnreadableError) throw failure('WorkspaceUnreadable', err.message);
          throw err;
        }));
      const baselineRef = baselineKey(input.goalId, input.sandbox.containerName);
      await deps.store.put(baselineRef, usable?.data ?? encodeBaseline(baseline));
      await markBaseline(deps.sandbox, input.sandbox.containerId, input.baseCommit);
      let bytes = 0;
      for (const e of baseline.values()) bytes += e.size;
      return { baselineRef, files: baseline.size, bytes };
    },
  };
}

/** Whether a derived baseline is well inside the limits the host's reading enforces (near them, the reading decides). */
function withinLimits(baseline: WorkspaceBaseline, maxWorkspaceBytes: number): boolean {
  let bytes = 0;
  for (const e of baseline.values()) bytes += e.size;
  return baseline.size < MAX_ENTRIES / 2 && bytes < maxWorkspaceBytes / 2;
}
