/**
 * The sandbox-queue activities of one fake goal: containers that live on a
 * host and are reached only through that host's queue (anything else finds no
 * container: SandboxLost, as a real host would say), tool calls that do what
 * their cue says, and clean-room checks that pass or fail on cue.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { SandboxActivities } from '../../activities/activity-types';
import { failure, SANDBOX_LOST } from '../../workflows/failures';
import { sandboxHostQueue } from '../../workflows/queues';
import type { CheckResult, SandboxRef } from '../../workflows/types';
import { BASE_COMMIT, DEFAULT_CHANGE, type FakeGoal, type FakeSandbox } from './fake-goal';
import { MUTATING_TOOLS, type ToolCue } from './fake-model';

/** Hosts with a fake sandbox worker serving their queue. */
export const FAKE_HOSTS = ['alpha', 'beta'] as const;

/** A host whose sandbox worker is gone: nothing serves its queue. */
export const GHOST_HOST = 'ghost';

/** The sandbox activities of one goal. */
export function fakeSandboxActivities(goal: FakeGoal): SandboxActivities {
  let collected = 0;
  let verified = 0;
  return {
    provisionSandbox: async (input) => provision(goal, input.generation ?? 0),
    findEnvironmentHost: async (input) => ({
      baseBranch: input.baseBranch ?? 'main',
      baseCommit: BASE_COMMIT,
      passedOver: [],
      ...(goal.script.environmentHost ? { key: 'f'.repeat(64), host: goal.script.environmentHost } : {}),
    }),
    manageEnvironmentCache: async () => ({ host: 'fake', entries: [] }),
    async destroySandbox(input) {
      const box = goal.sandboxes.get(input.sandbox.containerName);
      assertOnHost(input.sandbox);
      if (box) box.state = 'destroyed';
    },
    async copyRepository(input) {
      container(goal, input.sandbox);
      return { baseBranch: input.baseBranch ?? 'main', baseCommit: input.baseCommit ?? BASE_COMMIT };
    },
    async runSetup(input) {
      container(goal, input.sandbox);
      const environment = input.setup !== undefined ? goal.script.environment : undefined;
      return { ran: input.setup !== undefined, ...(environment ? { environment } : {}) };
    },
    async isolateSandbox(input) {
      container(goal, input.sandbox);
      return { interfaces: ['lo'] };
    },
    async inspectRepository(input) {
      container(goal, input.sandbox);
      return { checks: goal.script.checks ?? ['npm test'] };
    },
    runTool: (input) => runTool(goal, input),
    async recordBaseline(input) {
      container(goal, input.sandbox);
      return {
        baselineRef: `goals/${input.goalId}/baseline/${input.sandbox.containerName}.json.gz`,
        files: 1,
        bytes: 1,
      };
    },
    async restoreWorkspace(input) {
      container(goal, input.sandbox).restored = input.checkpointRef;
      return { bytes: 42 };
    },
    async runChecks(input) {
      container(goal, input.sandbox);
      return checkResults(input.checks, 'pass', false);
    },
    async collectChange(input) {
      container(goal, input.sandbox);
      const files = goal.script.change ?? DEFAULT_CHANGE;
      const prefix = `goals/${input.goalId}`;
      collected++;
      return {
        patchRef: `${prefix}/change.patch`,
        textPatchRef: `${prefix}/change.text.patch`,
        tree: `tree-${collected}`,
        files,
        fileCount: files.length,
        filesRef: `${prefix}/change.files.json`,
      };
    },
    async verifyChange(input) {
      const cues = goal.script.verify ?? ['pass'];
      const cue = cues[Math.min(verified++, cues.length - 1)] ?? 'pass';
      const results = checkResults(input.checks, cue, true);
      if (input.reply)
        goal.conversation.write(input.reply.index, {
          role: 'tool',
          tool_call_id: input.reply.callId,
          content: checksReply(results),
        });
      return results;
    },
    async runCommand(input) {
      container(goal, input.sandbox);
      return { exitCode: 0, stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0, timedOut: false, durationMs: 1 };
    },
  };
}

/** Provisions (or finds) the container of a generation on the host the script names for it. */
function provision(goal: FakeGoal, generation: number): SandboxRef {
  const hosts = goal.script.hosts ?? [...FAKE_HOSTS];
  // On a host's own queue (placement by cached environment) the sandbox lands on that host.
  const queue = Context.current().info.taskQueue;
  const onHost = FAKE_HOSTS.find((h) => sandboxHostQueue(h) === queue);
  const host = onHost ?? hosts[Math.min(generation, hosts.length - 1)] ?? FAKE_HOSTS[0];
  const containerName = `fake-${goal.workflowId}-g${generation}`;
  const existing = goal.sandboxes.get(containerName);
  if (existing) return existing.ref;
  const ref: SandboxRef = {
    containerId: `id-${containerName}`,
    containerName,
    taskQueue: sandboxHostQueue(host),
    host,
  };
  goal.sandboxes.set(containerName, { ref, state: 'live' });
  return ref;
}

/** The container, when it is alive and this activity runs on its host's queue; else SandboxLost. */
function container(goal: FakeGoal, ref: SandboxRef): FakeSandbox {
  const box = goal.sandboxes.get(ref.containerName);
  assertOnHost(ref);
  if (!box || box.state !== 'live') throw sandboxLost(ref);
  return box;
}

/** A host reaches only its own containers: on another queue the container is not found. */
function assertOnHost(ref: SandboxRef): void {
  if (Context.current().info.taskQueue !== ref.taskQueue) throw sandboxLost(ref);
}

/** What a host says of a container it does not have: the catalogue's SandboxLost, as onContainer throws it. */
function sandboxLost(ref: SandboxRef): ApplicationFailure {
  return failure(SANDBOX_LOST, `sandbox not found: ${ref.containerId}`);
}

/** One tool call: does what its cue says, writes its result to the conversation, checkpoints after a mutating one. */
async function runTool(goal: FakeGoal, input: Parameters<SandboxActivities['runTool']>[0]) {
  const box = container(goal, input.sandbox);
  const message = goal.conversation.at(input.assistantIndex);
  const call = message?.role === 'assistant' ? message.tool_calls?.find((c) => c.id === input.callId) : undefined;
  if (!call)
    throw failure('ToolCallNotFound', `tool call ${input.callId} not found at message ${input.assistantIndex}`);
  const cue: ToolCue = goal.cues.get(call.id) ?? 'ok';
  if (cue === 'killsEverySandbox' || (cue === 'losesSandbox' && !goal.lossesDone.has(call.id))) {
    goal.lossesDone.add(call.id);
    box.state = 'lost';
    throw sandboxLost(input.sandbox);
  }
  if (cue === 'hangs') await hangUntilCancelled();
  const name = call.function.name;
  const ok = cue === 'ok' || cue === 'losesSandbox';
  const isMutating = cue !== 'invalid' && MUTATING_TOOLS.has(name);
  const output = cue === 'invalid' ? `invalid arguments for ${name}` : ok ? `${name}: done` : `${name}: exit 1`;
  goal.conversation.write(input.resultIndex, { role: 'tool', tool_call_id: call.id, content: output });
  return {
    ok,
    invalid: cue === 'invalid' || undefined,
    summary: output,
    exitCode: name === 'shell' ? (ok ? 0 : 1) : undefined,
    isMutating,
    checkpointRef:
      isMutating && input.checkpoint ? `goals/${input.goalId}/checkpoints/${input.resultIndex}.patch` : undefined,
  };
}

/** Heartbeats until the activity is cancelled (a deadline, a cancelled goal, a stopping worker); at most a minute. */
async function hangUntilCancelled(): Promise<never> {
  const ctx = Context.current();
  for (let i = 0; i < 600; i++) {
    ctx.heartbeat();
    await ctx.sleep(100);
  }
  throw new Error('the hanging tool call was never cancelled');
}

/** One result per check: on `fail`, the first check fails. */
function checkResults(checks: string[], cue: 'pass' | 'fail', cleanRoom: boolean): CheckResult[] {
  return checks.map((command, i) => {
    const passed = cue === 'pass' || i > 0;
    return {
      command,
      exitCode: passed ? 0 : 1,
      passed,
      durationMs: 5,
      logTail: passed ? 'ok' : 'FAIL test/math.test.js: expected 3, got -1',
      logRef: `logs/${i}.log`,
      ...(cleanRoom ? { cleanRoom: true } : {}),
    };
  });
}

/** The reply to a finish call, as the model reads it. */
function checksReply(results: CheckResult[]): string {
  const failed = results.filter((r) => !r.passed);
  if (failed.length === 0) return `All checks pass in a clean sandbox: ${results.map((r) => r.command).join(', ')}`;
  return `Checks failed in a clean sandbox:\n${failed.map((r) => `$ ${r.command} (exit ${r.exitCode})\n${r.logTail}`).join('\n')}`;
}
