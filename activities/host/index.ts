/**
 * Sandbox-side activities: provision and destroy a goal's container, copy the
 * repository in, inspect it, run the setup phase, tool calls and checks, make
 * the change on the host and verify it in a clean sandbox. Registered by the
 * sandbox worker; every one is safe to run twice.
 */
import { sandboxRecordKey } from '../sandbox/names';
import { createBaselineActivities } from './baseline';
import { createChangeActivities } from './change';
import { createCopyActivities } from './copy';
import { hostContext, LOCAL_EXCLUDES, onContainer, type SandboxActivityDeps } from './host-context';
import { createProvisionActivities } from './provision';
import { createRunToolActivities } from './run-tool';
import { createPhaseActivities } from './setup-phase';
import { createVerifyActivities } from './verify-change';
import { createEnvironmentCacheActivities } from './environment-cache-activities';
import { createFindEnvironmentHostActivities } from './find-environment-host';

export { CHANGE_LIMIT_DEFAULTS, type ChangeLimits, type SandboxActivityDeps } from './host-context';
export type { ProvisionSandboxInput } from './provision';
export type { CopyRepositoryInput, CopiedRepository, RepositoryInspection } from './copy';
export type { RunToolInput, ToolRunSummary, RestoreWorkspaceInput } from './run-tool';
export type { RunChecksInput, CollectChangeInput, CollectedChange } from './change';
export type { RecordBaselineInput, RecordedBaseline } from './baseline';
export type { FindEnvironmentHostInput, FoundEnvironmentHost } from './find-environment-host';

/** Creates the sandbox activities; every one on a container is wrapped by onContainer. */
export function createSandboxActivities(deps: SandboxActivityDeps) {
  const ctx = hostContext(deps);
  const phases = createPhaseActivities(deps);
  const provision = createProvisionActivities(ctx);
  const copy = createCopyActivities(ctx);
  const tools = createRunToolActivities(ctx);
  const change = createChangeActivities(ctx);
  const baseline = createBaselineActivities(ctx);
  const verify = createVerifyActivities({
    ...deps,
    maxCloneBytes: ctx.limits.maxCloneBytes,
    excludes: LOCAL_EXCLUDES,
    phases: { runSetup: onContainer(phases.runSetup), isolateSandbox: onContainer(phases.isolateSandbox) },
    recordSandbox: (containerName, goalId) =>
      deps.store.put(sandboxRecordKey(containerName), JSON.stringify({ goalId, host: deps.host })),
    removeSandbox: ctx.removeSandbox,
  });
  const environments = createEnvironmentCacheActivities(deps);
  return {
    ...verify,
    manageEnvironmentCache: environments.manageEnvironmentCache,
    findEnvironmentHost: createFindEnvironmentHostActivities(deps).findEnvironmentHost,
    provisionSandbox: provision.provisionSandbox,
    destroySandbox: provision.destroySandbox,
    runCommand: onContainer(provision.runCommand),
    runSetup: onContainer(phases.runSetup),
    isolateSandbox: onContainer(phases.isolateSandbox),
    copyRepository: onContainer(copy.copyRepository),
    inspectRepository: onContainer(copy.inspectRepository),
    runTool: onContainer(tools.runTool),
    restoreWorkspace: onContainer(tools.restoreWorkspace),
    runChecks: onContainer(change.runChecks),
    collectChange: onContainer(change.collectChange),
    recordBaseline: onContainer(baseline.recordBaseline),
  };
}
