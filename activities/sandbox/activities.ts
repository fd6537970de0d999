/**
 * Sandbox-side activities: provision and destroy a goal's container, copy the
 * repository in, inspect it, run tool calls and checks, and collect the change.
 * Registered by the sandbox worker; every one is safe to run twice.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CheckResult, SandboxRef } from '../../workflows/types';
import { sandboxHostQueue } from '../../workflows/queues';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix, readMessage, safeSegment, writeMessage } from '../store/conversation';
import type { GitAccessResolver } from '../codehost/select-code-host';
import type { ChangedFile } from '../codehost/code-host';
import { findTool, runToolCall } from '../tools/registry';
import { checkPublishable } from '../security/publish-gate';
import { describeHiddenUnicode, stripHiddenUnicode } from '../security/hidden-unicode';
import { setupNetworkName, type DockerNetworks } from './docker-networks';
import { createPhaseActivities } from './phases';
import type { SandboxServices } from './services';
import { WORKSPACE, type ExecResult, type Sandbox } from './sandbox';
import { checksFromInstructions, detectChecks, type RepositoryFacts } from './detect-checks';
import { checksReply, runCheckCommands } from './check-commands';
import { cloneForGoal, excludeInClone, recordEnvironmentFile, tarOf } from './clone-for-goal';
import { computeWorkspaceChange, ChangeTooLargeError, WorkspaceUnreadableError } from './workspace-change';
import { createVerifyActivities } from './verify-change';
import { CheckpointingSandbox, CheckpointTooLargeError, checkpointKey, checkpointWorkspace, restoreWorkspace } from './checkpoint';
import { SandboxNotFoundError, SandboxNotRunningError } from './errors';

/** What the sandbox activities need. */
export interface SandboxActivityDeps {
  sandbox: Sandbox;
  store: ArtifactStore;
  /** This worker's host name: its queue is `drydock-sandbox-<host>`. */
  host: string;
  /** The sandbox image tag. */
  image: string;
  /** How to clone repositories that need a credential (GitHub); resolved on this worker, never sent into the sandbox. */
  gitAccessFor?: GitAccessResolver;
  /** Where bare mirrors of repositories live (fetched per goal); without it each goal clones from scratch. */
  mirrorsDir?: string;
  /** Network operations for the setup phase and isolation (phases.ts). */
  networks?: DockerNetworks;
  /** DRYDOCK_SETUP_SECRET_<NAME> values, by NAME, for setup scripts. */
  setupSecrets?: Record<string, string>;
  /** Service sidecars (.drydock/environment.json → services); without them a goal that declares services fails. */
  services?: SandboxServices;
  /** Size limits of what crosses the sandbox boundary (CHANGE_LIMIT_DEFAULTS when absent). */
  changeLimits?: ChangeLimits;
}

/** Limits on what crosses the sandbox boundary. */
export interface ChangeLimits {
  /** DRYDOCK_MAX_CLONE_BYTES: most bytes a repository's files may add up to at the base commit. */
  maxCloneBytes: number;
  /** DRYDOCK_MAX_CHANGE_BYTES: most bytes of new or changed file content one change may hold. */
  maxChangeBytes: number;
  /** Most bytes of workspace files read out of a sandbox to make its change. */
  maxWorkspaceBytes: number;
}

/** The limits used when the operator sets none. */
export const CHANGE_LIMIT_DEFAULTS: ChangeLimits = {
  maxCloneBytes: 2 * 1024 ** 3,
  maxChangeBytes: 64 * 1024 ** 2,
  maxWorkspaceBytes: 32 * 1024 ** 3,
};

/** Input of provisionSandbox. */
export interface ProvisionSandboxInput {
  goalId: string;
  /** How many sandboxes of this goal were lost before this one; each gets its own container name. */
  generation?: number;
}

/** Input of copyRepository. */
export interface CopyRepositoryInput {
  sandbox: SandboxRef;
  /** The goal (absent in older histories: read from the sandbox's record). */
  goalId?: string;
  repository: string;
  baseBranch?: string;
  /** The commit to check out (a re-provisioned sandbox starts from the first one's base, even if the branch moved). */
  baseCommit?: string;
}

/** What copyRepository copied. */
export interface CopiedRepository {
  baseBranch: string;
  baseCommit: string;
}

/** What inspectRepository found. */
export interface RepositoryInspection {
  /** Artifact key of AGENTS.md, when the repository has one. */
  instructionsRef?: string;
  /** The checks AGENTS.md names, else detected ones. */
  checks: string[];
  /** What hidden Unicode was stripped from AGENTS.md before the model reads it, when there was any. */
  hiddenUnicode?: string;
}

/** Input of runTool: where the call is in the conversation and where its result goes. */
export interface RunToolInput {
  sandbox: SandboxRef;
  goalId: string;
  assistantIndex: number;
  callId: string;
  resultIndex: number;
  commandTimeoutSeconds: number;
  maxOutputBytes: number;
  /** When set, a mutating call is followed by a checkpoint of the workspace against this commit. */
  checkpoint?: { baseCommit: string };
}

/** What runTool returns to the workflow: no output, only a summary. */
export interface ToolRunSummary {
  ok: boolean;
  /** The call itself was wrong (unknown tool, bad arguments). */
  invalid?: boolean;
  summary: string;
  exitCode?: number;
  /** The tool can change the workspace. */
  isMutating?: boolean;
  /** Artifact key of the checkpoint taken after the call, when one was. */
  checkpointRef?: string;
}

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

/** Input of restoreWorkspace. */
export interface RestoreWorkspaceInput {
  sandbox: SandboxRef;
  baseCommit: string;
  /** The checkpoint to apply; absent: the base commit as it is. */
  checkpointRef?: string;
}

/** Input of collectChange. */
export interface CollectChangeInput {
  sandbox: SandboxRef;
  goalId: string;
  baseCommit: string;
  /** The repository and branch, for the host's own copy of the base commit (absent in older histories). */
  repository?: string;
  baseBranch?: string;
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
}

/** Changed files carried in history; the whole list is in the store. */
const FILES_IN_HISTORY = 200;

/** Untracked paths left out of every change: caches that checks write. */
const LOCAL_EXCLUDES = ['__pycache__/', '*.pyc', '.pytest_cache/', '.mypy_cache/', '.ruff_cache/', 'node_modules/', '.npm/', '.cache/'];

/** Bytes of AGENTS.md read. */
const MAX_INSTRUCTIONS_BYTES = 32 * 1024;

/**
 * Container name of a goal: deterministic, so provisioning twice finds the first.
 * A replacement for a lost sandbox (generation n > 0) gets its own name, so that
 * the old container, if its host comes back, is never mistaken for the new one.
 */
export function containerNameFor(goalId: string, generation = 0): string {
  const hash = createHash('sha256').update(goalId).digest('hex').slice(0, 10);
  return `drydock-${safeSegment(goalId).replace(/^[^A-Za-z0-9]+/, '').slice(0, 40)}-${hash}${generation > 0 ? `-r${generation}` : ''}`;
}

/** Store key of the record naming the goal a container belongs to (a warm container taken from the pool has no goal label). */
export function sandboxRecordKey(containerName: string): string {
  return `sandboxes/${safeSegment(containerName)}.json`;
}

/** The goal a sandbox belongs to, from the record provisionSandbox wrote. */
async function goalOfSandbox(store: ArtifactStore, sandbox: SandboxRef): Promise<string> {
  return (JSON.parse((await store.get(sandboxRecordKey(sandbox.containerName))).toString('utf8')) as { goalId: string }).goalId;
}

/** Type of the failure a host activity throws when its container is gone or stopped; the workflow re-provisions. */
export const SANDBOX_LOST = 'SandboxLost';

/** Milliseconds between heartbeats of a host activity (the SDK throttles what reaches the server). */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * Wraps an activity that works on a container: it heartbeats while it runs (so a
 * dead sandbox worker is noticed within the heartbeat timeout), and a container
 * that is gone or stopped becomes a non-retryable SandboxLost failure at once.
 */
function onContainer<I, R>(run: (input: I) => Promise<R>): (input: I) => Promise<R> {
  return async (input: I) => {
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
    try {
      return await run(input);
    } catch (err) {
      if (err instanceof SandboxNotFoundError || err instanceof SandboxNotRunningError) {
        throw ApplicationFailure.create({ message: err.message, type: SANDBOX_LOST, nonRetryable: true, cause: err });
      }
      throw err;
    } finally {
      clearInterval(timer);
    }
  };
}

/** Creates the sandbox activities. */
export function createSandboxActivities(deps: SandboxActivityDeps) {
  const exec = async (ref: SandboxRef, argv: string[], options: Parameters<Sandbox['exec']>[2] = {}): Promise<ExecResult> =>
    deps.sandbox.exec(ref.containerId, argv, options);

  const limits = deps.changeLimits ?? CHANGE_LIMIT_DEFAULTS;
  const phases = createPhaseActivities(deps);
  const removeSandbox = async (containerId: string, containerName: string) => {
    await deps.sandbox.destroy(containerId);
    await deps.networks?.remove(setupNetworkName(containerName));
    await deps.services?.remove(containerName);
  };
  const activities = {
    ...phases,
    ...createVerifyActivities({
      ...deps,
      maxCloneBytes: limits.maxCloneBytes,
      excludes: LOCAL_EXCLUDES,
      phases: { runSetup: onContainer(phases.runSetup), isolateSandbox: onContainer(phases.isolateSandbox) },
      recordSandbox: (containerName, goalId) => deps.store.put(sandboxRecordKey(containerName), JSON.stringify({ goalId, host: deps.host })),
      removeSandbox,
    }),

    /** Creates (or finds) the goal's hardened container on this host. */
    async provisionSandbox(input: ProvisionSandboxInput): Promise<SandboxRef> {
      const name = containerNameFor(input.goalId, input.generation);
      // Written first, so that the reaper can tell whose container this is even if the worker dies next.
      await deps.store.put(sandboxRecordKey(name), JSON.stringify({ goalId: input.goalId, host: deps.host }));
      const { id, limits } = await deps.sandbox.create({
        name,
        image: deps.image,
        labels: { 'drydock.goal': input.goalId, 'drydock.host': deps.host },
      });
      return { containerId: id, containerName: name, taskQueue: sandboxHostQueue(deps.host), host: deps.host, ...(limits ? { limits } : {}) };
    },

    /** Clones the repository on this worker (hooks off, no credentials, files exactly the commit's) and copies it into /workspace. */
    async copyRepository(input: CopyRepositoryInput): Promise<CopiedRepository> {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drydock-clone-'));
      try {
        const cloned = await cloneForGoal(path.join(dir, 'repo'), {
          repository: input.repository,
          baseBranch: input.baseBranch,
          baseCommit: input.baseCommit,
          checkout: true,
          maxCheckoutBytes: limits.maxCloneBytes,
          gitAccessFor: deps.gitAccessFor,
          mirrorsDir: deps.mirrorsDir,
        });
        // Setup reads the environment file as the base commit has it, never from the workspace.
        await recordEnvironmentFile(deps.store, input.goalId ?? (await goalOfSandbox(deps.store, input.sandbox)), cloned.dir, cloned.baseCommit);
        // Build and test by-products are never part of a change (the host applies the same excludes).
        await excludeInClone(cloned.dir, LOCAL_EXCLUDES);
        await deps.sandbox.putArchive(input.sandbox.containerId, tarOf(cloned.dir), WORKSPACE);
        return { baseBranch: cloned.baseBranch, baseCommit: cloned.baseCommit };
      } finally {
        // Removed after the activity answers: the goal need not wait for the clean-up.
        void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },

    /** Reads AGENTS.md and the files that imply checks. */
    async inspectRepository(input: { sandbox: SandboxRef; goalId: string }): Promise<RepositoryInspection> {
      const result = await exec(input.sandbox, ['python3', '-c', INSPECT_SCRIPT, String(MAX_INSTRUCTIONS_BYTES)], {
        maxOutputBytes: 4 * MAX_INSTRUCTIONS_BYTES,
        timeoutMs: 30_000,
      });
      if (result.exitCode !== 0) throw new Error(`inspecting the repository failed: ${result.stderr.slice(0, 500)}`);
      const facts = JSON.parse(result.stdout) as RepositoryFacts & { agents?: string };
      let instructionsRef: string | undefined;
      let checks: string[] = [];
      let hiddenUnicode: string | undefined;
      if (facts.agents) {
        // Instructions nobody reviewing the file can see never reach the model.
        const stripped = stripHiddenUnicode(facts.agents);
        if (stripped.report.total > 0) {
          hiddenUnicode = `AGENTS.md: removed ${describeHiddenUnicode(stripped.report)}`;
          Context.current().log.warn(hiddenUnicode, { goalId: input.goalId });
        }
        instructionsRef = `${goalPrefix(input.goalId)}/instructions.md`;
        await deps.store.put(instructionsRef, stripped.text);
        checks = checksFromInstructions(stripped.text);
      }
      if (checks.length === 0) checks = detectChecks(facts);
      return { instructionsRef, checks, hiddenUnicode };
    },

    /** Runs one tool call of the model in the sandbox and writes its result to the conversation. */
    async runTool(input: RunToolInput): Promise<ToolRunSummary> {
      const message = await readMessage(deps.store, input.goalId, input.assistantIndex);
      const call = message.role === 'assistant' ? message.tool_calls?.find((c) => c.id === input.callId) : undefined;
      if (!call) throw ApplicationFailure.nonRetryable(`tool call ${input.callId} not found at message ${input.assistantIndex}`, 'ToolCallNotFound');
      // A mutating tool checkpoints in the same exec as its command (one engine round trip, not two).
      const key = checkpointKey(input.goalId, input.resultIndex);
      const checkpointing =
        input.checkpoint && findTool(call.function.name)?.isMutating ? new CheckpointingSandbox(deps.sandbox, input.checkpoint.baseCommit, key) : undefined;
      const outcome = await runToolCall(
        {
          sandbox: checkpointing ?? deps.sandbox,
          containerId: input.sandbox.containerId,
          commandTimeoutMs: input.commandTimeoutSeconds * 1000,
          maxOutputBytes: input.maxOutputBytes,
        },
        call.function.name,
        call.function.arguments,
      );
      const isMutating = !outcome.invalid && (findTool(call.function.name)?.isMutating ?? false);
      // Checkpoint before the result is written: a sandbox lost in between runs the call again from the previous checkpoint.
      let checkpointRef: string | undefined;
      if (isMutating && input.checkpoint) {
        checkpointRef = key;
        const unchanged = checkpointing?.unchangedSince;
        // The stamp lives in the sandbox, where the model could write it: only this goal's own checkpoints count.
        const ownPrefix = checkpointKey(input.goalId, 0).replace(/\d+\.patch$/, '');
        const stillHolds =
          unchanged !== undefined && unchanged !== key && unchanged.startsWith(ownPrefix) && /^\d+\.patch$/.test(unchanged.slice(ownPrefix.length)) && (await deps.store.has(unchanged));
        if (stillHolds) checkpointRef = unchanged;
        else if (checkpointing?.patch) await deps.store.put(key, checkpointing.patch);
        else if (checkpointing?.tooLarge) checkpointRef = undefined;
        else {
          checkpointRef = await checkpointWorkspace(deps.sandbox, input.sandbox.containerId, deps.store, input.checkpoint.baseCommit, key).then(
            () => key,
            (err: unknown) => {
              if (err instanceof CheckpointTooLargeError) return undefined;
              throw err;
            },
          );
        }
      }
      // The workspace outgrew what a checkpoint (and a change) may hold: say so, keep the last checkpoint.
      const note = isMutating && input.checkpoint && checkpointRef === undefined ? `\n[drydock: ${new CheckpointTooLargeError().message}; a change this large cannot be published]` : '';
      await writeMessage(deps.store, input.goalId, input.resultIndex, { role: 'tool', tool_call_id: call.id, content: outcome.output + note });
      return { ok: outcome.ok, invalid: outcome.invalid, summary: outcome.summary.slice(0, 200), exitCode: outcome.exitCode, isMutating, checkpointRef };
    },

    /** Resets the workspace of a fresh sandbox to the base commit and applies the last checkpoint. */
    async restoreWorkspace(input: RestoreWorkspaceInput): Promise<{ bytes: number }> {
      return restoreWorkspace(deps.sandbox, input.sandbox.containerId, deps.store, input.baseCommit, input.checkpointRef);
    },

    /** Runs the checks; logs go to the store, tails to history; optionally answers a finish call. */
    async runChecks(input: RunChecksInput): Promise<CheckResult[]> {
      const results = await runCheckCommands(deps.sandbox, input.sandbox.containerId, deps.store, {
        checks: input.checks,
        timeoutSeconds: input.timeoutSeconds,
        logPrefix: `${goalPrefix(input.goalId)}/checks/${String(input.step).padStart(5, '0')}`,
        onCheck: (i) => Context.current().heartbeat({ check: i }),
      });
      if (input.reply) {
        await writeMessage(deps.store, input.goalId, input.reply.index, { role: 'tool', tool_call_id: input.reply.callId, content: checksReply(results, false) });
      }
      return results;
    },

    /**
     * Makes the change on this host from the workspace's files (the engine's tar
     * of /workspace against the base commit, by a git that reads nothing from the
     * sandbox) and stores the patch, its text form and the file list.
     */
    async collectChange(input: CollectChangeInput): Promise<CollectedChange> {
      if (!input.repository) throw ApplicationFailure.nonRetryable('collectChange needs the repository to compare the workspace with', 'InvalidInput');
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
        const change = await computeWorkspaceChange({
          repoDir,
          baseCommit: input.baseCommit,
          archive: () => deps.sandbox.getArchive(input.sandbox.containerId, WORKSPACE),
          scratchDir,
          maxChangeBytes: limits.maxChangeBytes,
          maxWorkspaceBytes: limits.maxWorkspaceBytes,
          excludes: LOCAL_EXCLUDES,
        }).catch((err: unknown) => {
          if (err instanceof ChangeTooLargeError) throw ApplicationFailure.nonRetryable(err.message, 'ChangeTooLarge');
          if (err instanceof WorkspaceUnreadableError) throw ApplicationFailure.nonRetryable(err.message, 'WorkspaceUnreadable');
          throw err;
        });
        // The setup secrets are known here (the agent worker's gate knows its own): a change holding one, in any encoding, is refused.
        const secrets = Object.values(deps.setupSecrets ?? {});
        if (secrets.length > 0) {
          const leaks = checkPublishable({ patch: change.textPatch, files: change.files, knownSecrets: secrets, allowProtectedPaths: ['**'] }).findings.filter(
            (f) => f.kind === 'known-secret',
          );
          if (leaks.length > 0) {
            throw ApplicationFailure.nonRetryable(`the publish gate refused the change: ${leaks.slice(0, 5).map((f) => f.message).join('; ')}`, 'PublishRefused');
          }
        }
        const prefix = goalPrefix(input.goalId);
        const patchRef = `${prefix}/change.patch`;
        const textPatchRef = `${prefix}/change.text.patch`;
        const filesRef = `${prefix}/change.files.json`;
        await Promise.all([deps.store.put(patchRef, change.patch), deps.store.put(textPatchRef, change.textPatch), deps.store.put(filesRef, JSON.stringify(change.files))]);
        return { patchRef, textPatchRef, tree: change.tree, files: change.files.slice(0, FILES_IN_HISTORY), fileCount: change.files.length, filesRef };
      } finally {
        void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },

    /** Runs one command (used by sandboxSmoke). */
    async runCommand(input: { sandbox: SandboxRef; argv: string[]; timeoutSeconds: number }): Promise<ExecResult> {
      return exec(input.sandbox, input.argv, { timeoutMs: input.timeoutSeconds * 1000, maxOutputBytes: 16 * 1024 });
    },

    /** Removes the goal's container and its workspace; one already gone is fine. */
    async destroySandbox(input: { sandbox: SandboxRef }): Promise<void> {
      await removeSandbox(input.sandbox.containerId, input.sandbox.containerName);
    },
  };
  return {
    ...activities,
    runSetup: onContainer(activities.runSetup),
    isolateSandbox: onContainer(activities.isolateSandbox),
    copyRepository: onContainer(activities.copyRepository),
    inspectRepository: onContainer(activities.inspectRepository),
    runTool: onContainer(activities.runTool),
    restoreWorkspace: onContainer(activities.restoreWorkspace),
    runChecks: onContainer(activities.runChecks),
    collectChange: onContainer(activities.collectChange),
    runCommand: onContainer(activities.runCommand),
  };
}

/** Runs in the sandbox: prints what detectChecks needs and AGENTS.md, as JSON. */
const INSPECT_SCRIPT = `
import json, os, sys
limit = int(sys.argv[1])
def read(name):
    try:
        with open(name, 'rb') as f:
            return f.read(limit).decode('utf-8', 'replace')
    except OSError:
        return None
entries = sorted(os.listdir('.'))
py = False
for root, dirs, files in os.walk('.'):
    if root.count(os.sep) >= 2:
        dirs[:] = []
    dirs[:] = [d for d in dirs if d not in ('.git', 'node_modules', '.venv', 'venv')]
    if any((f.startswith('test_') or f.endswith('_test.py')) and f.endswith('.py') for f in files):
        py = True
        break
print(json.dumps({'rootEntries': entries, 'packageJson': read('package.json'), 'makefile': read('Makefile'),
                  'hasPythonTests': py, 'agents': read('AGENTS.md')}))
`;
