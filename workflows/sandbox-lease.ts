/**
 * The sandbox a goal holds, and what happens when it is lost. Every activity on
 * the container goes through the lease: when the container is gone or stopped
 * (a SandboxLost failure) or its sandbox worker is gone (a schedule-to-start or
 * heartbeat timeout on the host's queue), the lease provisions a new sandbox on
 * the shared queue (any live sandbox worker takes it), copies the repository at
 * the same base commit, runs the setup phase again, restores the last workspace
 * checkpoint and runs the interrupted activity again.
 *
 * The first sandbox goes to the host that holds the goal's cached environment
 * when a live one with room does (findEnvironmentHost; docs/environment.md,
 * "Placement"); a replacement goes to the shared queue.
 *
 * When a setup phase ran, the workspace it leaves is the baseline
 * (recordBaseline, on every sandbox the lease prepares): checkpoints hold only
 * what differs from it and collectChange compares with it, so setup's output is
 * never part of a change, and a restore is setup again plus the agent's
 * checkpoint.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  TimeoutFailure,
  log,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { SandboxActivities } from '../activities/activity-types';
import { withSummaries, type CallSource } from './activity-summaries';
import { SANDBOX_LOST } from './failures';
import { SANDBOX_QUEUE, sandboxHostQueue } from './queues';
import type { GoalSetup, Policy, SandboxRef } from './types';
import type { InternetPolicy } from './internet-policy';
import type { PassedOverHost } from './sandbox-hosts';

/** Activities on the goal's container that go through the lease. */
export type LeasedActivityName =
  | 'copyRepository'
  | 'runSetup'
  | 'isolateSandbox'
  | 'inspectRepository'
  | 'runTool'
  | 'runChecks'
  | 'collectChange'
  | 'restoreWorkspace'
  | 'runCommand';

/** The leased activities: same inputs as the raw ones; their `sandbox` is replaced with the lease's current one. */
export type LeasedActivities = Pick<SandboxActivities, LeasedActivityName>;

/** What a lease needs to rebuild a sandbox. */
export interface SandboxLeaseOptions {
  goalId: string;
  policy: Policy;
  repository: string;
  baseBranch?: string;
  setup?: GoalSetup;
  /** The goal's internet policy for the agent phase (combined with the repository's by runSetup). */
  internet?: InternetPolicy | 'off';
  /** Called whenever the lease moves to a new sandbox. */
  onChange?: (sandbox: SandboxRef) => void;
  /** Called when a setup phase says where its environment came from (`cached on <host>, 3 h old` / `built in 41 s`). */
  onEnvironment?: (line: string) => void;
  /** Where the activities' summaries read the call the goal runs now. */
  calls?: CallSource;
}

/** The lease as plain data: what continue-as-new carries. */
export interface SandboxLeaseState {
  current: SandboxRef;
  generation: number;
  baseBranch?: string;
  baseCommit?: string;
  setupRan: boolean;
  lastCheckpoint?: string;
  /** The current sandbox's post-setup baseline (recordBaseline); absent when no setup phase ran. */
  baselineRef?: string;
  /** Container name of the sandbox whose workspace is prepared. */
  preparedFor?: string;
  /** Sandboxes lost on the way; removed best-effort at release. */
  lost: SandboxRef[];
  /** The hosts holding the goal's cached environment that the first sandbox did not go to, and why. */
  passedOver?: PassedOverHost[];
}

/** Patch marker: the workspace after setup is recorded as the baseline of checkpoints and of the change. */
export const SETUP_BASELINE = 'setup-baseline';

/** Patch marker: the first sandbox goes to the host that holds the goal's cached environment (findEnvironmentHost). */
export const ENVIRONMENT_PLACEMENT = 'environment-placement';

/** Sandboxes one goal may lose before it fails. */
const MAX_REPLACEMENTS = 5;

/** A goal's sandbox, re-provisioned when lost. */
export class SandboxLease {
  private s?: SandboxLeaseState;
  private readonly pendingDestroys: Promise<void>[] = [];

  /** The leased activities. */
  readonly onHost: LeasedActivities;

  /** The agent phase's internet allowlist in words, as the last setup opened it (absent: no network). */
  internet?: string;

  constructor(
    private readonly o: SandboxLeaseOptions,
    state?: SandboxLeaseState,
  ) {
    this.s = state;
    const call =
      <K extends LeasedActivityName>(name: K) =>
      (input: Parameters<SandboxActivities[K]>[0]) =>
        this.call(name, input);
    this.onHost = {
      copyRepository: call('copyRepository'),
      runSetup: call('runSetup'),
      isolateSandbox: call('isolateSandbox'),
      inspectRepository: call('inspectRepository'),
      runTool: call('runTool'),
      runChecks: call('runChecks'),
      collectChange: call('collectChange'),
      restoreWorkspace: call('restoreWorkspace'),
      runCommand: call('runCommand'),
    } as LeasedActivities;
  }

  /** The sandbox the goal holds now. */
  get current(): SandboxRef {
    if (!this.s) throw new Error('the sandbox lease has no sandbox yet: call provision() first');
    return this.s.current;
  }

  /** How many sandboxes were lost and replaced. */
  get replacements(): number {
    return this.s?.generation ?? 0;
  }

  /** The lease as plain data (for continue-as-new). */
  state(): SandboxLeaseState {
    if (!this.s) throw new Error('the sandbox lease has no sandbox yet');
    return { ...this.s, lost: [...this.s.lost] };
  }

  /**
   * Provisions the first sandbox: on the host that holds the goal's cached
   * environment when a live one with room does, else on the shared queue (any
   * host, least loaded first).
   */
  async provision(): Promise<SandboxRef> {
    if (!patched(ENVIRONMENT_PLACEMENT)) {
      const current = await sharedActivities(this.o.calls).provisionSandbox({ goalId: this.o.goalId });
      this.s = { current, generation: 0, baseBranch: this.o.baseBranch, setupRan: false, lost: [] };
      this.o.onChange?.(current);
      return current;
    }
    const found = await sharedActivities(this.o.calls).findEnvironmentHost({
      goalId: this.o.goalId,
      repository: this.o.repository,
      baseBranch: this.o.baseBranch,
      setup: this.o.setup,
    });
    const passedOver = [...found.passedOver];
    let current: SandboxRef | undefined;
    if (found.host) {
      try {
        current = await preferredActivities(found.host, this.o.policy, this.o.calls).provisionSandbox({
          goalId: this.o.goalId,
          // The host takes a warm container started from the environment when it keeps one ready.
          ...(found.key ? { environment: found.key } : {}),
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        // The host went away or filled up since its report: any host builds the environment.
        passedOver.push({ host: found.host, reason: placementFailure(err) });
        log.warn('the host of the cached environment did not take the sandbox', { host: found.host, passedOver });
      }
    }
    current ??= await sharedActivities(this.o.calls).provisionSandbox({ goalId: this.o.goalId });
    // The copy takes the commit the key was read from, so the key the host computes is the same.
    this.s = {
      current,
      generation: 0,
      baseBranch: found.baseBranch,
      baseCommit: found.baseCommit,
      setupRan: false,
      lost: [],
      ...(passedOver.length > 0 ? { passedOver } : {}),
    };
    this.o.onChange?.(current);
    return current;
  }

  /** Copies the repository in and runs the setup phase (then cuts the network); returns the base branch and commit. */
  async prepare(): Promise<{ baseBranch: string; baseCommit: string; setupRan: boolean }> {
    await this.withLoss(async () => undefined);
    const s = this.state();
    return { baseBranch: s.baseBranch ?? '', baseCommit: s.baseCommit ?? '', setupRan: s.setupRan };
  }

  /** Removes the current sandbox (retried) and the lost ones (best-effort: their hosts may be gone; the reaper covers them). */
  async release(): Promise<void> {
    if (!this.s) return;
    const s = this.s;
    await CancellationScope.nonCancellable(async () => {
      for (const lost of s.lost.slice(this.pendingDestroys.length)) this.pendingDestroys.push(this.destroyLost(lost));
      await Promise.all(this.pendingDestroys);
      await destroyActivities(s.current, this.o.policy, 5, this.o.calls)
        .destroySandbox({ sandbox: s.current })
        .catch((err: unknown) => {
          // A host that is gone cannot remove its container now; its reaper does when it comes back.
          if (sandboxLossOf(err) === undefined) throw err;
          log.warn('could not remove the sandbox: its host is gone; the reaper will', {
            container: s.current.containerName,
          });
        });
    });
  }

  private async call<K extends LeasedActivityName>(
    name: K,
    input: Parameters<SandboxActivities[K]>[0],
  ): Promise<Awaited<ReturnType<SandboxActivities[K]>>> {
    const result = await this.withLoss<unknown>(async (ref) => {
      const activity = hostActivities(ref, this.o.policy, this.o.calls)[name] as (i: unknown) => Promise<unknown>;
      const sandbox = addressOf(ref);
      const { baseCommit, baselineRef } = this.state();
      if (name === 'collectChange' && baselineRef) return activity({ ...input, sandbox, baselineRef });
      if (name !== 'runTool') return activity({ ...input, sandbox });
      const checkpoint = baseCommit ? { baseCommit, ...(baselineRef ? { baseline: true } : {}) } : undefined;
      const summary = (await activity({ ...input, sandbox, checkpoint })) as {
        checkpointRef?: string;
      };
      if (summary.checkpointRef && this.s) this.s.lastCheckpoint = summary.checkpointRef;
      return summary;
    });
    return result as Awaited<ReturnType<SandboxActivities[K]>>;
  }

  /** Runs `op` on a prepared sandbox; replaces a lost one and runs `op` again. */
  private async withLoss<R>(op: (sandbox: SandboxRef) => Promise<R>): Promise<R> {
    for (;;) {
      const s = this.state();
      const ref = s.current;
      try {
        if (s.preparedFor !== ref.containerName) await this.prepareOn(ref);
        return await op(ref);
      } catch (err) {
        const loss = sandboxLossOf(err);
        if (loss === undefined) throw err;
        await this.replace(ref, loss);
      }
    }
  }

  /** Copy (at the pinned base commit), setup, isolation, the baseline, and the last checkpoint, on a new sandbox. */
  private async prepareOn(ref: SandboxRef): Promise<void> {
    const s = this.state();
    const acts = hostActivities(ref, this.o.policy, this.o.calls);
    const sandbox = addressOf(ref);
    const repo = await acts.copyRepository({
      sandbox,
      goalId: this.o.goalId,
      repository: this.o.repository,
      baseBranch: s.baseBranch,
      baseCommit: s.baseCommit,
    });
    const setup = await acts.runSetup({
      sandbox,
      goalId: this.o.goalId,
      setup: this.o.setup,
      agentPhase: this.o.internet === undefined ? {} : { internet: this.o.internet },
    });
    if (setup.environment) this.o.onEnvironment?.(environmentLine(setup.environment, ref, s));
    this.internet = setup.internet;
    if (setup.ran) await acts.isolateSandbox({ sandbox });
    // A goal whose checkpoints were taken against the base commit (before baselines) keeps them so.
    const baselineMode = s.lastCheckpoint === undefined || s.baselineRef !== undefined;
    const baseline =
      setup.ran && baselineMode && patched(SETUP_BASELINE)
        ? await acts.recordBaseline({ sandbox, goalId: this.o.goalId, baseCommit: repo.baseCommit })
        : undefined;
    if (s.lastCheckpoint)
      await acts.restoreWorkspace({ sandbox, baseCommit: repo.baseCommit, checkpointRef: s.lastCheckpoint });
    if (this.s)
      Object.assign(this.s, {
        baseBranch: repo.baseBranch,
        baseCommit: repo.baseCommit,
        setupRan: setup.ran,
        preparedFor: ref.containerName,
        baselineRef: baseline?.baselineRef,
      });
  }

  /** Provisions the next sandbox on the shared queue and starts removing the lost one. */
  private async replace(lost: SandboxRef, reason: string): Promise<void> {
    const s = this.state();
    if (s.generation >= MAX_REPLACEMENTS) {
      throw ApplicationFailure.nonRetryable(`lost ${s.generation + 1} sandboxes; the last: ${reason}`, SANDBOX_LOST);
    }
    log.warn('sandbox lost; provisioning a new one', { container: lost.containerName, host: lost.host, reason });
    const generation = s.generation + 1;
    this.pendingDestroys.push(this.destroyLost(lost));
    const current = await sharedActivities(this.o.calls).provisionSandbox({ goalId: this.o.goalId, generation });
    if (this.s) Object.assign(this.s, { current, generation, lost: [...s.lost, lost], preparedFor: undefined });
    this.o.onChange?.(current);
  }

  /** Removes a lost sandbox if its host answers within the loss timeout; failures are left to the reaper. */
  private destroyLost(lost: SandboxRef): Promise<void> {
    return CancellationScope.nonCancellable(() =>
      destroyActivities(lost, this.o.policy, 2, this.o.calls)
        .destroySandbox({ sandbox: lost })
        .catch((err: unknown) => {
          log.warn('could not remove a lost sandbox; the reaper will', {
            container: lost.containerName,
            error: String(err),
          });
        }),
    );
  }
}

/**
 * The goal's `environment:` status line: runSetup's (`cached on <host>, 3 h
 * old` / `built in 41 s`) with the host that built it, and the hosts holding the
 * cached environment that were passed over, and why.
 */
export function environmentLine(fromSetup: string, ref: SandboxRef, s: SandboxLeaseState): string {
  const line =
    ref.host && fromSetup.startsWith('built in ') ? `built on ${ref.host} in ${fromSetup.slice(9)}` : fromSetup;
  if (line.startsWith('cached on ')) return line;
  const notes =
    s.generation === 0
      ? (s.passedOver ?? []).map((p) => `cached on ${p.host}, passed over: ${p.reason}`)
      : [...new Set(s.lost.map((l) => l.host).filter((h): h is string => !!h))].map(
          (h) => `the sandbox on ${h} was lost`,
        );
  return notes.length > 0 ? `${line} (${notes.join('; ')})` : line;
}

/**
 * A sandbox as activity inputs carry it: where it is, without the policy and
 * limits it was made with (the goal's state keeps those), so that every tool
 * call's history event stays small.
 */
export function addressOf(ref: SandboxRef): SandboxRef {
  return { containerId: ref.containerId, containerName: ref.containerName, taskQueue: ref.taskQueue, host: ref.host };
}

/**
 * Why an activity failure means the sandbox is lost, or undefined when it does
 * not: the container is gone or stopped, or its worker does not pick up or
 * heartbeat within the loss timeout.
 */
export function sandboxLossOf(err: unknown): string | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type === SANDBOX_LOST) return cause.message;
  if (
    cause instanceof TimeoutFailure &&
    (cause.timeoutType === 'SCHEDULE_TO_START' || cause.timeoutType === 'HEARTBEAT')
  ) {
    return `its sandbox worker did not answer (${cause.timeoutType} timeout)`;
  }
  return undefined;
}

function sharedActivities(calls: CallSource = {}): SandboxActivities {
  return withSummaries(
    calls,
    proxyActivities<SandboxActivities>({
      taskQueue: SANDBOX_QUEUE,
      startToCloseTimeout: '5m',
      // provisionSandbox heartbeats: a worker gone mid-provision, or its answer lost while the server's database was
      // away (the SDK gives up reporting after a few seconds), is retried in 30 s rather than at the 5 minutes.
      heartbeatTimeout: '30s',
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
    }),
  );
}

/** provisionSandbox on the queue of the host that holds the goal's cached environment: a host gone is not waited for. */
function preferredActivities(host: string, policy: Policy, calls: CallSource = {}): SandboxActivities {
  return withSummaries(
    calls,
    proxyActivities<SandboxActivities>({
      taskQueue: sandboxHostQueue(host),
      startToCloseTimeout: '5m',
      scheduleToStartTimeout: `${policy.sandboxLossTimeoutSeconds}s`,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 2 },
    }),
  );
}

/** Why the preferred host's provision failed, in a few words. */
function placementFailure(err: unknown): string {
  const loss = sandboxLossOf(err);
  if (loss) return loss.replace(/^its sandbox worker/, 'its worker');
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? 'failed';
}

/** Activities on the queue of the host that holds the container; a silent host counts as lost after the loss timeout. */
export function hostActivities(sandbox: SandboxRef, policy: Policy, calls: CallSource = {}): SandboxActivities {
  const longest = Math.max(policy.commandTimeoutSeconds, policy.checkTimeoutSeconds);
  return withSummaries(
    calls,
    proxyActivities<SandboxActivities>({
      taskQueue: sandbox.taskQueue,
      startToCloseTimeout: `${longest + 120}s`,
      scheduleToStartTimeout: `${policy.sandboxLossTimeoutSeconds}s`,
      heartbeatTimeout: `${policy.sandboxLossTimeoutSeconds}s`,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
    }),
  );
}

/** destroySandbox on the container's host: bounded by the loss timeout when the host does not answer. */
function destroyActivities(sandbox: SandboxRef, policy: Policy, maximumAttempts: number, calls: CallSource = {}) {
  return withSummaries(
    calls,
    proxyActivities<SandboxActivities>({
      taskQueue: sandbox.taskQueue,
      scheduleToStartTimeout: `${policy.sandboxLossTimeoutSeconds}s`,
      startToCloseTimeout: '2m',
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts },
    }),
  );
}
