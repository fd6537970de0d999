/**
 * findEnvironmentHost: before a goal's first sandbox exists, any sandbox host
 * (the shared queue) reads the goal's base commit from its objects (a clone
 * without checkout, through the mirror), computes the goal's placement key
 * (environment-cache-key.ts) and asks the hosts' registry which live host holds
 * that environment (workers/environment-placement.ts). The workflow then
 * provisions on that host's queue, or on the shared queue when none is usable.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { GoalSetup } from '../../workflows/types';
import type { EnvironmentPlacement } from '../../workflows/sandbox-hosts';
import { readEnvironmentFile } from '../environment/environment-file';
import { readCommitTreeFacts, placementKey } from '../environment/environment-cache-key';
import { readEnvironmentText } from '../environment/repository-facts';
import { cloneForGoal } from './clone-for-goal';
import type { SandboxActivityDeps } from './host-context';

/** Input of findEnvironmentHost. */
export interface FindEnvironmentHostInput {
  goalId: string;
  repository: string;
  baseBranch?: string;
  /** The goal's setup (its script overrides the environment file's; its secret names are part of the key). */
  setup?: GoalSetup;
}

/** What findEnvironmentHost found: the base commit it read (the goal's copy uses the same) and where to provision. */
export interface FoundEnvironmentHost extends EnvironmentPlacement {
  baseBranch: string;
  baseCommit: string;
  /** The goal's placement key; absent when no setup script runs (nothing to cache) or the environment file is invalid. */
  key?: string;
}

/** Creates findEnvironmentHost. */
export function createFindEnvironmentHostActivities(deps: SandboxActivityDeps) {
  return {
    /** Reads the goal's placement key from its base commit and says which live host holds that environment. */
    async findEnvironmentHost(input: FindEnvironmentHostInput): Promise<FoundEnvironmentHost> {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drydock-place-'));
      try {
        const cloned = await cloneForGoal(path.join(dir, 'repo'), {
          repository: input.repository,
          baseBranch: input.baseBranch,
          checkout: false,
          gitAccessFor: deps.gitAccessFor,
          mirrorsDir: deps.mirrorsDir,
        });
        const base = { baseBranch: cloned.baseBranch, baseCommit: cloned.baseCommit };
        const text = await readEnvironmentText(cloned.dir, cloned.baseCommit);
        // An invalid file ends the goal at its copy, with every problem listed; placement just steps aside.
        const reading = readEnvironmentFile(text);
        const goalScript = input.setup?.script?.trim() ? input.setup.script : undefined;
        const script = goalScript ?? (reading.ok && reading.file.setup?.trim() ? reading.file.setup : undefined);
        if (!reading.ok || script === undefined || !deps.placeEnvironment) return { ...base, passedOver: [] };
        const tree = await readCommitTreeFacts(cloned.dir, cloned.baseCommit);
        const key = placementKey({
          repository: input.repository,
          environmentFile: text,
          setupScript: script,
          secretNames: input.setup?.secrets ?? [],
          dependencies: tree.dependencies,
        });
        return { ...base, key, ...(await deps.placeEnvironment(key)) };
      } finally {
        void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  };
}
