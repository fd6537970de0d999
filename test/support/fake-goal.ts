/**
 * One goal of the fast workflow tier: its script (model turns, check results on
 * cue, the change, the gate's verdict, the hosts its sandboxes land on, failures
 * to throw) and what happened to it (every activity call with its queue, run
 * and attempt; the conversation; every sandbox and whether it still exists).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { AgentActivities, SandboxActivities } from '../../activities/activity-types';
import type { ChangeVerdict } from '../../activities/agent/codehost-activities';
import type { ChangedFile } from '../../activities/shared/changed-file';
import { statusQuery } from '../../workflows/messages';
import type { GoalInput, GoalResult, GoalStatusView, SandboxRef } from '../../workflows/types';
import { FakeConversation } from './fake-conversation';
import type { FakeTurn, ToolCue } from './fake-model';
import { readGoalResult } from '../../cli/goal-result';

/** Every activity the workflows call, agent side and sandbox side. */
export type Activities = AgentActivities & SandboxActivities;

/** The name of an activity the workflows call. */
export type ActivityName = keyof Activities;

/** The input of an activity. */
export type InputOf<K extends ActivityName> = Parameters<Activities[K]>[0];

/** What a clean-room verification says, on cue. */
export type CheckCue = 'pass' | 'fail';

/** What a goal's fakes do. */
export interface FakeGoalScript {
  /** The model's turns, by step (a plan turn counts). */
  model: FakeTurn[];
  /** Clean-room verifications, in order; the last one repeats (`pass` when absent). */
  verify?: CheckCue[];
  /** The checks inspectRepository finds (`npm test` when absent). */
  checks?: string[];
  /** The change collectChange finds (one modified file when absent). */
  change?: ChangedFile[];
  /** The publish gate's verdict (allowed when absent). */
  gate?: ChangeVerdict;
  /** Host of each sandbox generation (provisioning past the end uses the last); FAKE_HOSTS when absent. */
  hosts?: string[];
  /** The host findEnvironmentHost names as holding the goal's cached environment (none when absent). */
  environmentHost?: string;
  /** The `environment` line runSetup reports when a setup runs (none when absent). */
  environment?: string;
  /** Failures to throw from an activity, every attempt. */
  fail?: Partial<Record<ActivityName, () => Error>>;
}

/** One activity call as a fake saw it. */
export interface RecordedCall {
  activity: ActivityName;
  queue: string;
  runId: string;
  attempt: number;
  input: unknown;
}

/** A sandbox of the goal and whether it still exists. */
export interface FakeSandbox {
  ref: SandboxRef;
  state: 'live' | 'lost' | 'destroyed';
  /** The checkpoint restored into it, when one was. */
  restored?: string;
}

/** The base commit every fake clone is at. */
export const BASE_COMMIT = 'c0ffee0000000000000000000000000000000000';

/** The change collectChange finds when the script gives none. */
export const DEFAULT_CHANGE: ChangedFile[] = [{ path: 'src/math.js', status: 'M', additions: 3, deletions: 1 }];

/** What a goal started from a test runs with when the test gives no other. */
export const DEFAULT_INPUT: GoalInput = {
  repository: '/srv/git/demo-repo',
  goal: 'Make the failing test in test/math.test.js pass',
};

/** The state and record of one goal. */
export class FakeGoal {
  readonly calls: RecordedCall[] = [];
  readonly conversation = new FakeConversation();
  readonly sandboxes = new Map<string, FakeSandbox>();
  /** Cues of the model's tool calls, by call id. */
  readonly cues = new Map<string, ToolCue | undefined>();
  /** Tool calls whose sandbox loss already happened. */
  readonly lossesDone = new Set<string>();
  private readonly waiters: { activity: ActivityName; count: number; resolve: (call: RecordedCall) => void }[] = [];
  private started?: WorkflowHandle;

  constructor(
    readonly workflowId: string,
    readonly script: FakeGoalScript,
    private readonly startWorkflow: (workflowId: string, input: GoalInput) => Promise<WorkflowHandle>,
  ) {}

  /** Starts the goal (codingAgent) with the default input and these fields over it. */
  async start(input: Partial<GoalInput> = {}): Promise<WorkflowHandle> {
    this.started = await this.startWorkflow(this.workflowId, { ...DEFAULT_INPUT, ...input });
    return this.started;
  }

  /** The handle of the started goal. */
  get handle(): WorkflowHandle {
    if (!this.started) throw new Error(`goal ${this.workflowId} was not started`);
    return this.started;
  }

  /** What the status query says now. */
  status(): Promise<GoalStatusView> {
    return this.handle.query(statusQuery);
  }

  /** Polls the status query until it satisfies `probe`; returns that status. */
  async statusWhen(
    what: string,
    probe: (status: GoalStatusView) => boolean,
    timeoutMs = 20_000,
  ): Promise<GoalStatusView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status();
      if (probe(status)) return status;
      if (Date.now() > deadline)
        throw new Error(
          `goal ${this.workflowId}: timed out waiting for ${what} (status: ${JSON.stringify(status).slice(0, 500)})`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts the goal and waits for its result. */
  async run(input: Partial<GoalInput> = {}): Promise<GoalResult> {
    await this.start(input);
    return this.result();
  }

  /** The started goal's GoalResult, whether its execution completed or failed with it (readGoalResult). */
  result(): Promise<GoalResult> {
    return readGoalResult(this.handle);
  }

  /** Records a call and wakes whoever waits for it. */
  record(call: RecordedCall): void {
    this.calls.push(call);
    const count = this.callsOf(call.activity).length;
    for (const w of this.waiters.filter((w) => w.activity === call.activity && w.count <= count)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(call);
    }
  }

  /** Resolves once the activity was called `count` times. */
  called(activity: ActivityName, count = 1): Promise<RecordedCall> {
    const calls = this.callsOf(activity);
    if (calls.length >= count) return Promise.resolve(calls[count - 1]!);
    return new Promise((resolve) => this.waiters.push({ activity, count, resolve }));
  }

  /** The calls of one activity, in order. */
  callsOf(activity: ActivityName): RecordedCall[] {
    return this.calls.filter((c) => c.activity === activity);
  }

  /** The inputs of one activity's calls, in order. */
  inputsOf<K extends ActivityName>(activity: K): InputOf<K>[] {
    return this.callsOf(activity).map((c) => c.input as InputOf<K>);
  }

  /** Names of the goal's containers that still exist. */
  liveSandboxes(): string[] {
    return [...this.sandboxes.values()].filter((s) => s.state !== 'destroyed').map((s) => s.ref.containerName);
  }
}
