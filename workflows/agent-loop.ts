/**
 * The agent loop of codingAgent: model turn → tool calls → (finish → checks),
 * until the checks pass, a budget runs out, or the model misbehaves past the
 * policy's patience. Runs inside the workflow; every side effect is an activity.
 */
import { CancellationScope, isCancellation, patched, sleep } from '@temporalio/workflow';
import type { AgentActivities, SandboxActivities } from '../activities/activity-types';
import type { GoalState } from './goal-state';
import { toolCallLine } from './goal-view';
import type { CheckResult, ModelSpec, SandboxRef } from './types';

/** Why the loop stopped. */
export type LoopStop =
  | { kind: 'finished'; summary: string; finishIndex: number }
  /** The run holds enough history: continue as new, then call runUntilStop again. */
  | { kind: 'continue' }
  | { kind: 'exhausted'; reason: string }
  | { kind: 'failed'; reason: string; summary: string };

/** What the loop works on. */
export interface AgentLoopOptions {
  goalId: string;
  sandbox: SandboxRef;
  checks: string[];
  model?: ModelSpec;
  /** Length of the conversation when the loop starts. */
  length: number;
  /** Asked before every turn: true when this workflow run should continue as new. */
  shouldContinueAsNew?: () => boolean;
  /**
   * Verifies a finish call in a clean sandbox (the change made on the host, the
   * publish gate, the checks) and replies to it; without it, the checks run in
   * the agent's sandbox (histories recorded before clean-room verification).
   */
  verifyFinish?: (reply: { callId: string; index: number }) => Promise<CheckResult[]>;
}

/** Patch marker: finish calls are verified in a clean sandbox. */
export const CLEAN_ROOM_AT_FINISH = 'clean-room-at-finish';

/** Patch marker: the deadline's timer has a name in history (the Temporal UI shows "deadline (…)" instead of a bare timer). */
export const NAMED_DEADLINE_TIMER = 'named-deadline-timer';

/**
 * CancellationScope.withTimeout with a named timer: runs `fn` in a cancellable
 * scope that a timer with this summary cancels when it fires first.
 */
async function withNamedTimeout<T>(ms: number, summary: string, fn: () => Promise<T>): Promise<T> {
  const scope = new CancellationScope({ cancellable: true });
  return scope.run(async () => {
    const timer = new CancellationScope();
    timer
      .run(() => sleep(ms, { summary }))
      .then(
        () => scope.cancel(),
        () => undefined, // the timer was cancelled: fn ended first
      );
    try {
      return await fn();
    } finally {
      if (!timer.consideredCancelled) timer.cancel();
    }
  });
}

/** A time left in the largest unit that reads well: 2h, 15m, 40s. */
function deadlineText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 7200 ? `${Math.round(s / 3600)}h` : s >= 120 ? `${Math.round(s / 60)}m` : `${s}s`;
}

type Agent = Pick<AgentActivities, 'callModel' | 'appendMessage'>;
/** One tool call of a model turn, as callModel summarised it. */
type TurnCall = Awaited<ReturnType<AgentActivities['callModel']>>['toolCalls'][number];
type OnHost = Pick<SandboxActivities, 'runTool' | 'runChecks'>;

const NUDGE = 'Reply with a tool call. When the goal is met, call finish with a summary and your rationale.';

/** The loop; `runUntilStop` may be called again after a budget was extended. */
export class AgentLoop {
  private length: number;

  /** The conversation's length now. */
  get conversationLength(): number {
    return this.length;
  }
  private invalidTurns = 0;
  private lastFailure = { signature: '', count: 0 };
  /** Tool calls of an interrupted turn that still need a result message (with the index given to the one in flight). */
  private unanswered: { callId: string; index?: number }[] = [];

  constructor(
    private readonly state: GoalState,
    private readonly agent: Agent,
    private readonly onHost: OnHost,
    private readonly o: AgentLoopOptions,
  ) {
    this.length = o.length;
  }

  /** Runs turns until a stop; the deadline interrupts whatever runs when it passes. */
  async runUntilStop(): Promise<LoopStop> {
    const remainingMs = this.state.limits.deadlineAt - Date.now();
    const deadlineReason = `deadline reached (${new Date(this.state.limits.deadlineAt).toISOString()})`;
    if (remainingMs <= 0) return { kind: 'exhausted', reason: deadlineReason };
    try {
      if (!patched(NAMED_DEADLINE_TIMER)) return await CancellationScope.withTimeout(remainingMs, () => this.turns());
      return await withNamedTimeout(remainingMs, `deadline (${deadlineText(remainingMs)} left)`, () => this.turns());
    } catch (err) {
      if (isCancellation(err) && !CancellationScope.current().consideredCancelled)
        return { kind: 'exhausted', reason: deadlineReason };
      throw err;
    }
  }

  private async turns(): Promise<LoopStop> {
    const { state, agent, o } = this;
    for (;;) {
      for (const { callId, index } of this.unanswered.splice(0)) {
        const content =
          'Interrupted: the goal reached its deadline while this call was pending; its effect, if any, is unknown.';
        await agent.appendMessage({
          goalId: o.goalId,
          index: index ?? this.length++,
          role: 'tool',
          toolCallId: callId,
          content,
        });
      }
      const limit = state.exhaustedLimit();
      if (limit) return { kind: 'exhausted', reason: limit };
      if (o.shouldContinueAsNew?.()) return { kind: 'continue' };
      for (const feedback of state.pendingFeedback.splice(0)) {
        await agent.appendMessage({
          goalId: o.goalId,
          index: this.length++,
          role: 'user',
          content: `Feedback from a person: ${feedback}`,
        });
      }
      const turn = await state.during('model', `model turn ${state.iteration + 1}`, () =>
        agent.callModel({
          goalId: o.goalId,
          step: state.iteration,
          length: this.length,
          model: o.model,
          budget: state.callBudget(),
        }),
      );
      if (turn.refused) return { kind: 'exhausted', reason: turn.refused };
      state.iteration++;
      state.account(turn.usage, turn);
      this.length = turn.assistantIndex + 1;

      if (turn.toolCalls.length === 0) {
        const stop = this.invalidTurn('answered without a tool call');
        if (stop) return stop;
        await agent.appendMessage({ goalId: o.goalId, index: this.length++, role: 'user', content: NUDGE });
        continue;
      }
      // Finish goes last so that the other calls of the same turn run first.
      const calls = [...turn.toolCalls].sort((a, b) => Number(a.name === 'finish') - Number(b.name === 'finish'));
      this.unanswered = calls.map((c) => ({ callId: c.id }));
      let valid = 0;
      let finished: LoopStop | undefined;
      for (const call of calls) {
        const resultIndex = this.length++;
        const pending = this.unanswered[0];
        if (pending) pending.index = resultIndex;
        if (call.name === 'finish') {
          valid++;
          if (await this.verifyFinish(call.id, resultIndex))
            finished = { kind: 'finished', summary: turn.finishSummary ?? '', finishIndex: turn.assistantIndex };
          continue;
        }
        const outcome = await this.runTool(call, turn.assistantIndex, resultIndex);
        if (!outcome.invalid) valid++;
        const loop = this.repeatedFailure(
          call.signature,
          outcome.ok,
          `${call.name} ${call.argumentsPreview.slice(0, 80)}`,
        );
        if (loop) return loop;
      }
      if (finished) return finished;
      if (valid === 0) {
        const stop = this.invalidTurn(`made only invalid tool calls (last: ${state.lastTool?.summary ?? ''})`);
        if (stop) return stop;
      } else {
        this.invalidTurns = 0;
      }
    }
  }

  /** Verifies a finish call (in a clean sandbox, or the agent's for older histories) and answers it; true when the checks pass. */
  private async verifyFinish(callId: string, resultIndex: number): Promise<boolean> {
    const { state, o } = this;
    state.phase = 'verifying';
    const reply = { callId, index: resultIndex };
    const results =
      o.verifyFinish && patched(CLEAN_ROOM_AT_FINISH)
        ? await o.verifyFinish(reply)
        : await state.during('checks', o.checks.join(' && '), () =>
            this.onHost.runChecks({
              sandbox: o.sandbox,
              goalId: o.goalId,
              checks: o.checks,
              step: state.iteration,
              timeoutSeconds: state.policy.checkTimeoutSeconds,
              reply,
            }),
          );
    this.unanswered.shift();
    state.recordChecks(results);
    state.phase = 'working';
    return results.every((r) => r.passed);
  }

  /** Runs one tool call in the sandbox; its result is in the conversation, its summary in the goal's state. */
  private async runTool(
    call: TurnCall,
    assistantIndex: number,
    resultIndex: number,
  ): Promise<{ ok: boolean; invalid?: boolean }> {
    const { state, o } = this;
    const outcome = await state.during('tool', toolCallLine(call.name, call.argumentsPreview), () =>
      this.onHost.runTool({
        sandbox: o.sandbox,
        goalId: o.goalId,
        assistantIndex,
        callId: call.id,
        resultIndex,
        commandTimeoutSeconds: state.policy.commandTimeoutSeconds,
        maxOutputBytes: state.policy.maxToolOutputBytes,
      }),
    );
    this.unanswered.shift();
    state.lastTool = { name: call.name, argumentsPreview: call.argumentsPreview, summary: outcome.summary };
    return outcome;
  }

  /** Counts an invalid turn; a stop once there were too many in a row. */
  private invalidTurn(what: string): LoopStop | undefined {
    this.invalidTurns++;
    if (this.invalidTurns < this.state.policy.maxInvalidTurns) return undefined;
    return {
      kind: 'failed',
      summary: 'The model stopped making progress.',
      reason: `${this.invalidTurns} invalid model turns in a row: the model ${what}`,
    };
  }

  /** Counts the same failing call in a row; a stop once it is a loop. */
  private repeatedFailure(signature: string, ok: boolean, what: string): LoopStop | undefined {
    if (ok) {
      this.lastFailure = { signature: '', count: 0 };
      return undefined;
    }
    this.lastFailure =
      signature === this.lastFailure.signature
        ? { signature, count: this.lastFailure.count + 1 }
        : { signature, count: 1 };
    if (this.lastFailure.count < this.state.policy.maxRepeatedFailures) return undefined;
    return {
      kind: 'failed',
      summary: 'The model was stuck in a loop.',
      reason: `loop detected: the same failing call ${this.lastFailure.count} times in a row (${what})`,
    };
  }
}
