/** Provisioning and removing a goal's container on this host, and the plain command sandboxSmoke runs. */
import type { SandboxRef } from '../../workflows/types';
import { sandboxHostQueue } from '../../workflows/queues';
import type { ExecResult } from '../sandbox/sandbox';
import { containerNameFor, sandboxRecordKey } from '../sandbox/names';
import { whileHeartbeating, type HostContext } from './host-context';

/** Input of provisionSandbox. */
export interface ProvisionSandboxInput {
  goalId: string;
  /** How many sandboxes of this goal were lost before this one; each gets its own container name. */
  generation?: number;
  /** The goal's environment placement key: a warm container started from that cached environment is taken when ready. */
  environment?: string;
}

/** Creates provisionSandbox, runCommand, destroySandbox. */
export function createProvisionActivities(ctx: HostContext) {
  const { deps } = ctx;
  /** Creates (or finds) the goal's container; provisionSandbox heartbeats around it. */
  const provision = async (input: ProvisionSandboxInput): Promise<SandboxRef> => {
    const name = containerNameFor(input.goalId, input.generation);
    // Written first, so that the reaper can tell whose container this is even if the worker dies next.
    await deps.store.put(sandboxRecordKey(name), JSON.stringify({ goalId: input.goalId, host: deps.host }));
    const { id, limits, policy } = await deps.sandbox.create({
      name,
      image: deps.image,
      labels: { 'drydock.goal': input.goalId, 'drydock.host': deps.host },
      ...(input.environment ? { environment: input.environment } : {}),
    });
    return {
      containerId: id,
      containerName: name,
      taskQueue: sandboxHostQueue(deps.host),
      host: deps.host,
      ...(limits ? { limits } : {}),
      // The sandbox policy it was created under, for `drydock status` and the PR body.
      ...(policy ? { policy } : {}),
    };
  };
  return {
    /** Creates (or finds) the goal's hardened container on this host. */
    async provisionSandbox(input: ProvisionSandboxInput): Promise<SandboxRef> {
      // Heartbeats: a worker gone mid-provision, or an answer lost while Temporal's database was away, is retried
      // at the heartbeat timeout, not at the start-to-close timeout.
      return whileHeartbeating(() => provision(input));
    },
    /** Runs one command (used by sandboxSmoke). */
    async runCommand(input: { sandbox: SandboxRef; argv: string[]; timeoutSeconds: number }): Promise<ExecResult> {
      return deps.sandbox.exec(input.sandbox.containerId, input.argv, {
        timeoutMs: input.timeoutSeconds * 1000,
        maxOutputBytes: 16 * 1024,
      });
    },
    /** Removes the goal's container and its workspace; one already gone is fine. */
    async destroySandbox(input: { sandbox: SandboxRef }): Promise<void> {
      await ctx.removeSandbox(input.sandbox.containerId, input.sandbox.containerName);
    },
  };
}
