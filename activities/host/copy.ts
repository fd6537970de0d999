/**
 * Copying the repository into a sandbox, and the checks that verify a goal:
 * the environment file's, else AGENTS.md's, else the ones its layout implies,
 * all read on the host from the base commit (goal-environment.ts); only
 * whether setup left a virtualenv is read from the workspace, by the engine.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Context } from '@temporalio/activity';
import type { SandboxRef } from '../../workflows/types';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import { describeHiddenUnicode, stripHiddenUnicode } from '../security/hidden-unicode';
import { WORKSPACE } from '../sandbox/sandbox';
import { sandboxRecordKey } from '../sandbox/names';
import type { Sandbox } from '../sandbox/sandbox';
import { checksFromInstructions, detectChecks, VENV_FOLDERS, type RepositoryFacts } from '../environment/detect-checks';
import { MAX_FACT_FILE_BYTES, type CommitFacts } from '../environment/repository-facts';
import { cloneForGoal, excludeInClone, tarOf } from './clone-for-goal';
import { readFactsRecord, readGoalEnvironment, recordRepository } from './goal-environment';
import { LOCAL_EXCLUDES, type HostContext } from './host-context';
import { copiedBaselineKey } from './baseline';
import { encodeBaseline, readWorkspaceBaseline } from './workspace-baseline';

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
  /** The environment file's checks, else the ones AGENTS.md names, else detected ones. */
  checks: string[];
  /** What hidden Unicode was stripped from AGENTS.md before the model reads it, when there was any. */
  hiddenUnicode?: string;
}

/** The goal a sandbox belongs to, from the record provisionSandbox wrote. */
async function goalOfSandbox(store: ArtifactStore, sandbox: SandboxRef): Promise<string> {
  return (JSON.parse((await store.get(sandboxRecordKey(sandbox.containerName))).toString('utf8')) as { goalId: string })
    .goalId;
}

/** Creates copyRepository, inspectRepository. */
export function createCopyActivities(ctx: HostContext) {
  const { deps, limits } = ctx;
  return {
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
        // Setup, checks and env come from the base commit, never from the workspace; a bad file ends the goal here.
        const goalId = input.goalId ?? (await goalOfSandbox(deps.store, input.sandbox));
        await recordRepository(deps.store, goalId, cloned.dir, cloned.baseCommit, input.repository);
        // Build and test by-products are never part of a change (the host applies the same excludes).
        await excludeInClone(cloned.dir, LOCAL_EXCLUDES);
        // With an environment cache, the copy's own baseline too: a goal that starts from the cache derives its
        // baseline from it and the snapshot's manifest (setup-phase.ts), instead of reading the workspace again.
        const copied = deps.environmentCache
          ? readWorkspaceBaseline({
              archive: async () => tarOf(cloned.dir),
              maxWorkspaceBytes: limits.maxWorkspaceBytes,
              names: 'relative',
            }).catch(() => undefined)
          : undefined;
        await deps.sandbox.putArchive(input.sandbox.containerId, tarOf(cloned.dir), WORKSPACE);
        if (copied) {
          const baseline = await copied;
          const key = copiedBaselineKey(goalId, input.sandbox.containerName);
          await deps.store.put(key, baseline ? encodeBaseline(baseline) : Buffer.alloc(0));
        }
        return { baseBranch: cloned.baseBranch, baseCommit: cloned.baseCommit };
      } finally {
        // Removed after the activity answers: the goal need not wait for the clean-up.
        void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },
    /** Finds the checks (environment file, AGENTS.md, detection) and stores AGENTS.md for the model. */
    async inspectRepository(input: { sandbox: SandboxRef; goalId: string }): Promise<RepositoryInspection> {
      const environment = await readGoalEnvironment(deps.store, input.goalId);
      const facts: CommitFacts =
        (await readFactsRecord(deps.store, input.goalId)) ?? (await factsFromSandbox(deps.sandbox, input.sandbox));
      let instructionsRef: string | undefined;
      let checks: string[] = environment.checks ?? [];
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
        if (checks.length === 0) checks = checksFromInstructions(stripped.text);
      }
      if (checks.length === 0) {
        const detected = detectChecks(facts);
        // Only Python checks depend on a virtualenv.
        const venv = detected.some((c) => c.command.includes('pytest'))
          ? await virtualenvAfterSetup(deps.sandbox, input.sandbox.containerId)
          : undefined;
        checks = (venv ? detectChecks({ ...facts, venv }) : detected).map((c) => c.command);
      }
      return { instructionsRef, checks, hiddenUnicode };
    },
  };
}

/**
 * The virtualenv setup left in the workspace, if any: its pyvenv.cfg as the
 * engine reads it (no process in the sandbox takes part, nothing it says is
 * run on the host; the answer only picks which python the checks use).
 */
async function virtualenvAfterSetup(sandbox: Sandbox, containerId: string): Promise<string | undefined> {
  for (const folder of VENV_FOLDERS) {
    try {
      const stream = await sandbox.getArchive(containerId, `${WORKSPACE}/${folder}/pyvenv.cfg`);
      stream.resume();
      return folder;
    } catch (err) {
      // Missing files and a lost sandbox look alike to the engine's archive API.
      if (!(await sandbox.isRunning(containerId))) throw err;
    }
  }
  return undefined;
}

/** Facts of a goal copied before drydock recorded them on the host (an upgrade mid-goal): read in the sandbox. */
async function factsFromSandbox(sandbox: Sandbox, ref: SandboxRef): Promise<CommitFacts> {
  const result = await sandbox.exec(ref.containerId, ['python3', '-c', INSPECT_SCRIPT, String(MAX_FACT_FILE_BYTES)], {
    maxOutputBytes: 4 * MAX_FACT_FILE_BYTES,
    timeoutMs: 30_000,
  });
  if (result.exitCode !== 0) throw new Error(`inspecting the repository failed: ${result.stderr.slice(0, 500)}`);
  const facts = JSON.parse(result.stdout) as RepositoryFacts & { agents?: string | null };
  return { ...facts, agents: facts.agents ?? undefined };
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
