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
import { encodeBaseline, readWorkspaceBaseline } from './workspace-baseline';

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

/** Creates recordBaseline. */
export function createBaselineActivities(ctx: HostContext) {
  const { deps, limits } = ctx;
  return {
    /** Records the post-setup workspace: a manifest on the host (the change's baseline), an index in the sandbox (the checkpoints'). */
    async recordBaseline(input: RecordBaselineInput): Promise<RecordedBaseline> {
      const baseline = await readWorkspaceBaseline({
        archive: () => deps.sandbox.getArchive(input.sandbox.containerId, WORKSPACE),
        maxWorkspaceBytes: limits.maxWorkspaceBytes,
      }).catch((err: unknown) => {
        if (err instanceof WorkspaceUnreadableError) throw failure('WorkspaceUnreadable', err.message);
        throw err;
      });
      const baselineRef = baselineKey(input.goalId, input.sandbox.containerName);
      await deps.store.put(baselineRef, encodeBaseline(baseline));
      await markBaseline(deps.sandbox, input.sandbox.containerId, input.baseCommit);
      let bytes = 0;
      for (const e of baseline.values()) bytes += e.size;
      return { baselineRef, files: baseline.size, bytes };
    },
  };
}
