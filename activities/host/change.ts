/** The checks in the agent's sandbox (feedback), and the change made on the host from the workspace's files. */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Context } from '@temporalio/activity';
import { failure } from '../../workflows/failures';
import type { CheckResult, SandboxRef } from '../../workflows/types';
import { goalPrefix, writeMessage } from '../store/conversation';
import type { ChangedFile } from '../shared/changed-file';
import { checkPublishable } from '../security/publish-gate';
import { WORKSPACE } from '../sandbox/sandbox';
import { checksReply, runCheckCommands } from './check-commands';
import { cloneForGoal } from './clone-for-goal';
import { readGoalEnvironment } from './goal-environment';
import { computeWorkspaceChange, ChangeTooLargeError, WorkspaceUnreadableError } from './workspace-change';
import { decodeBaseline } from './workspace-baseline';
import { LOCAL_EXCLUDES, type HostContext } from './host-context';

/** Input of runChecks. */
export interface RunChecksInput {
  sandbox: SandboxRef;
  goalId: string;
  checks: string[];
  step: number;
  timeoutSeconds?: number;
  /** When set, the results are written to the conversation as the reply to this tool call. */
  reply?: { callId: string; index: number };
}

/** Input of collectChange. */
export interface CollectChangeInput {
  sandbox: SandboxRef;
  goalId: string;
  baseCommit: string;
  /** The repository and branch, for the host's own copy of the base commit (absent in older histories). */
  repository?: string;
  baseBranch?: string;
  /** The workspace as setup left it (recordBaseline); absent when no setup phase ran. */
  baselineRef?: string;
}

/** What collectChange found: made on the host, from the workspace's files. */
export interface CollectedChange {
  /** The binary patch publishing applies. */
  patchRef: string;
  /** The same change with every file as text, for the publish gate. */
  textPatchRef?: string;
  /** The tree the patch gives on the base commit: what is verified and published. */
  tree?: string;
  /** The first FILES_IN_HISTORY changed files (history stays small); all of them are under filesRef. */
  files: ChangedFile[];
  fileCount?: number;
  filesRef?: string;
  /** Base-commit files setup changed and the agent did not: left out of the change (the first FILES_IN_HISTORY). */
  setupChanged?: string[];
  setupChangedCount?: number;
}

/** Changed files carried in history; the whole list is in the store. */
const FILES_IN_HISTORY = 200;

/** Creates runChecks, collectChange. */
export function createChangeActivities(ctx: HostContext) {
  const { deps, limits } = ctx;
  return {
    /** Runs the checks; logs go to the store, tails to history; optionally answers a finish call. */
    async runChecks(input: RunChecksInput): Promise<CheckResult[]> {
      const results = await runCheckCommands(deps.sandbox, input.sandbox.containerId, deps.store, {
        checks: input.checks,
        timeoutSeconds: input.timeoutSeconds,
        logPrefix: `${goalPrefix(input.goalId)}/checks/${String(input.step).padStart(5, '0')}`,
        env: (await readGoalEnvironment(deps.store, input.goalId)).env,
        onCheck: (i) => Context.current().heartbeat({ check: i }),
      });
      if (input.reply) {
        await writeMessage(deps.store, input.goalId, input.reply.index, {
          role: 'tool',
          tool_call_id: input.reply.callId,
          content: checksReply(results, false),
        });
      }
      return results;
    },
    /**
     * Makes the change on this host from the workspace's files (the engine's tar
     * of /workspace against the base commit, by a git that reads nothing from the
     * sandbox; what setup left as it was is not part of it) and stores the
     * patch, its text form and the file list.
     */
    async collectChange(input: CollectChangeInput): Promise<CollectedChange> {
      if (!input.repository)
        throw failure('InvalidInput', 'collectChange needs the repository to compare the workspace with');
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drydock-change-'));
      try {
        const repoDir = path.join(dir, 'repo');
        await cloneForGoal(repoDir, {
          repository: input.repository,
          baseBranch: input.baseBranch,
          baseCommit: input.baseCommit,
          checkout: false,
          gitAccessFor: deps.gitAccessFor,
          mirrorsDir: deps.mirrorsDir,
        });
        const scratchDir = path.join(dir, 'files');
        await fs.mkdir(scratchDir);
        const baseline = input.baselineRef ? decodeBaseline(await deps.store.get(input.baselineRef)) : undefined;
        const change = await computeWorkspaceChange({
          repoDir,
          baseCommit: input.baseCommit,
          archive: () => deps.sandbox.getArchive(input.sandbox.containerId, WORKSPACE),
          scratchDir,
          maxChangeBytes: limits.maxChangeBytes,
          maxWorkspaceBytes: limits.maxWorkspaceBytes,
          excludes: LOCAL_EXCLUDES,
          baseline,
        }).catch((err: unknown) => {
          if (err instanceof ChangeTooLargeError) throw failure('ChangeTooLarge', err.message);
          if (err instanceof WorkspaceUnreadableError) throw failure('WorkspaceUnreadable', err.message);
          throw err;
        });
        // The setup secrets are known here (the agent worker's gate knows its own): a change holding one, in any encoding, is refused.
        const secrets = Object.values(deps.setupSecrets ?? {});
        if (secrets.length > 0) {
          const leaks = checkPublishable({
            patch: change.textPatch,
            files: change.files,
            knownSecrets: secrets,
            allowProtectedPaths: ['**'],
          }).findings.filter((f) => f.kind === 'known-secret');
          if (leaks.length > 0) {
            throw failure(
              'PublishRefused',
              `the publish gate refused the change: ${leaks
                .slice(0, 5)
                .map((f) => f.message)
                .join('; ')}`,
            );
          }
        }
        const prefix = goalPrefix(input.goalId);
        const patchRef = `${prefix}/change.patch`;
        const textPatchRef = `${prefix}/change.text.patch`;
        const filesRef = `${prefix}/change.files.json`;
        await Promise.all([
          deps.store.put(patchRef, change.patch),
          deps.store.put(textPatchRef, change.textPatch),
          deps.store.put(filesRef, JSON.stringify(change.files)),
        ]);
        return {
          patchRef,
          textPatchRef,
          tree: change.tree,
          files: change.files.slice(0, FILES_IN_HISTORY),
          fileCount: change.files.length,
          filesRef,
          ...(change.setupChanged.length > 0
            ? {
                setupChanged: change.setupChanged.slice(0, FILES_IN_HISTORY),
                setupChangedCount: change.setupChanged.length,
              }
            : {}),
        };
      } finally {
        void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  };
}
