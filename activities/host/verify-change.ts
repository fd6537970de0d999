/**
 * Clean-room verification: the checks that decide a goal run in a fresh
 * sandbox that no agent process ever touched, holding the base commit, the
 * setup phase's result and exactly the host-made patch (whose tree is checked
 * against the one that will be published). The agent's own sandbox may run
 * checks as feedback; only these results reach the PR.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Context } from '@temporalio/activity';
import { failure } from '../../workflows/failures';
import type { CheckResult, GoalSetup } from '../../workflows/types';
import { ChangeMismatchError, git, NEUTRAL_ATTRIBUTES } from '../codehost/git';
import type { GitAccessResolver } from '../codehost/select-code-host';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix, safeSegment, writeMessage } from '../store/conversation';
import { checksReply, runCheckCommands } from './check-commands';
import { cloneForGoal, excludeInClone, tarOf } from './clone-for-goal';
import { readGoalEnvironment } from './goal-environment';
import type { createPhaseActivities } from './setup-phase';
import { WORKSPACE, type Sandbox } from '../sandbox/sandbox';

/** Input of verifyChange. */
export interface VerifyChangeInput {
  goalId: string;
  repository: string;
  baseBranch: string;
  baseCommit: string;
  setup?: GoalSetup;
  /** The host-made patch and the tree it must give on the base commit. */
  patchRef: string;
  tree: string;
  checks: string[];
  /** The goal's step: names the clean sandbox and the logs. */
  step: number;
  checkTimeoutSeconds?: number;
  setupTimeoutSeconds?: number;
  /** When set, the results are written to the conversation as the reply to this finish call. */
  reply?: { callId: string; index: number };
}

/** What verifyChange needs. */
export interface VerifyChangeDeps {
  sandbox: Sandbox;
  store: ArtifactStore;
  image: string;
  host: string;
  gitAccessFor?: GitAccessResolver;
  mirrorsDir?: string;
  maxCloneBytes?: number;
  /** Untracked paths the change never holds, kept out of the clean workspace's git status as well. */
  excludes: readonly string[];
  phases: ReturnType<typeof createPhaseActivities>;
  /** Record naming the goal a container belongs to, for the reaper. */
  recordSandbox(containerName: string, goalId: string): Promise<void>;
  /** Removes a container with its networks and services; gone is fine. */
  removeSandbox(containerId: string, containerName: string): Promise<void>;
}

/**
 * Name of the clean sandbox of one verifyChange: deterministic (a retry of the
 * same activity finds, and replaces, it) and its own for every verification of
 * a goal, even two at the same step (the one still being removed is another).
 */
export function verifyContainerName(goalId: string, step: number, activityId: string): string {
  const hash = createHash('sha256').update(goalId).digest('hex').slice(0, 10);
  return `drydock-${safeSegment(goalId)
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 34)}-${hash}-v${step}-${safeSegment(activityId).slice(0, 16)}`;
}

/** Milliseconds between heartbeats. */
const HEARTBEAT_EVERY_MS = 1000;

/** Creates verifyChange. */
export function createVerifyActivities(deps: VerifyChangeDeps) {
  return {
    /** Runs the checks in a fresh sandbox on the base commit plus exactly the patch; the PR's verification. */
    async verifyChange(input: VerifyChangeInput): Promise<CheckResult[]> {
      const ctx = Context.current();
      const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      const name = verifyContainerName(input.goalId, input.step, ctx.info.activityId);
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drydock-verify-'));
      let containerId: string | undefined;
      try {
        // A retry never reuses a clean sandbox an earlier attempt may have left half-prepared.
        await deps.removeSandbox(name, name);
        const repo = path.join(dir, 'repo');
        // The workspace is prepared on the host while the engine starts (or the pool hands over) the container.
        const [cloned, created] = await Promise.all([
          prepareWorkspace(repo, input, deps),
          deps.recordSandbox(name, input.goalId).then(() =>
            deps.sandbox.create({
              name,
              image: deps.image,
              labels: { 'drydock.goal': input.goalId, 'drydock.host': deps.host, 'drydock.role': 'verify' },
            }),
          ),
        ]);
        containerId = created.id;
        await deps.sandbox.putArchive(containerId, tarOf(cloned), WORKSPACE);
        const ref = { containerId, containerName: name, taskQueue: '', host: deps.host };
        const setup = await deps.phases.runSetup({
          sandbox: ref,
          goalId: input.goalId,
          setup: input.setup,
          timeoutSeconds: input.setupTimeoutSeconds,
          logKey: `${goalPrefix(input.goalId)}/verify/${String(input.step).padStart(5, '0')}-setup.log`,
          cache: false,
        });
        if (setup.ran) await deps.phases.isolateSandbox({ sandbox: ref });
        const results = await runCheckCommands(deps.sandbox, containerId, deps.store, {
          checks: input.checks,
          timeoutSeconds: input.checkTimeoutSeconds,
          logPrefix: `${goalPrefix(input.goalId)}/verify/${String(input.step).padStart(5, '0')}`,
          env: (await readGoalEnvironment(deps.store, input.goalId)).env,
          onCheck: (i) => ctx.heartbeat({ check: i }),
        });
        const verified = results.map((r) => ({ ...r, cleanRoom: true }));
        if (input.reply) {
          await writeMessage(deps.store, input.goalId, input.reply.index, {
            role: 'tool',
            tool_call_id: input.reply.callId,
            content: checksReply(verified, true),
          });
        }
        return verified;
      } finally {
        clearInterval(timer);
        // Not waited for: the goal goes on while the engine removes it (the reaper removes any that is left).
        void deps.removeSandbox(containerId ?? name, name).catch(() => undefined);
        void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  };
}

/**
 * The clean workspace on the host: the base commit's files exactly, the patch
 * applied with a git that converts nothing and reads no user config, the
 * result checked against the tree that will be published; the index stays at
 * the base commit, so `git diff` in the clean sandbox shows the change.
 */
async function prepareWorkspace(repo: string, input: VerifyChangeInput, deps: VerifyChangeDeps): Promise<string> {
  await cloneForGoal(repo, {
    repository: input.repository,
    baseBranch: input.baseBranch,
    baseCommit: input.baseCommit,
    checkout: true,
    maxCheckoutBytes: deps.maxCloneBytes,
    gitAccessFor: deps.gitAccessFor,
    mirrorsDir: deps.mirrorsDir,
  });
  await fs.writeFile(path.join(repo, '.git', 'info', 'attributes'), NEUTRAL_ATTRIBUTES);
  const patch = await deps.store.get(input.patchRef);
  const options = { cwd: repo, isolated: true };
  if (patch.length > 0) {
    const patchFile = path.join(repo, '.git', 'drydock-verify.patch');
    await fs.writeFile(patchFile, patch);
    await git(['apply', '--index', '--binary', '--whitespace=nowarn', patchFile], options);
    await fs.rm(patchFile);
  }
  const tree = (await git(['write-tree'], options)).trim();
  if (tree !== input.tree) {
    const err = new ChangeMismatchError(input.tree, tree);
    throw failure('ChangeMismatch', err.message);
  }
  await git(['read-tree', input.baseCommit], options);
  await excludeInClone(repo, deps.excludes);
  return repo;
}
