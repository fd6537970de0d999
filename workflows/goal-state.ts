/**
 * The state of one goal inside codingAgent: progress, accounting against the
 * budget, what it waits for, and the view the status query returns.
 */
import { condition, log, patched, setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { CallBudget } from '../activities/activity-types';
import { answersFor, detailsMarkdown, goalMemo, WAIT_LABELS } from './goal-view';
import { addUsage, costOf, deadlineAfterWait, extendedDeadline, NO_USAGE, priceOf, uncachedCostOf } from './policy';
import {
  COST_ATTRIBUTE,
  OUTCOME_ATTRIBUTE,
  PHASE_ATTRIBUTE,
  REPOSITORY_ATTRIBUTE,
  TOKENS_ATTRIBUTE,
} from './search-attributes';
import type {
  ApprovalDecision,
  BudgetExtension,
  BudgetLimits,
  CheckResult,
  CurrentCall,
  GoalInput,
  GoalPhase,
  GoalResult,
  GoalStatusView,
  GoalWaiting,
  ModelPrice,
  Policy,
  SandboxRef,
  Usage,
} from './types';

/**
 * Cost with cached-input prices and the price the agent worker used for the
 * call (its model profile's). Histories recorded before it replay with the
 * earlier formula.
 */
export const CACHED_INPUT_PRICES = 'cached-input-prices';

/**
 * Waiting for a person is a state: the awaiting_* phase while the goal waits,
 * a named timer, the deadline paused for the wait's length, and finish-now
 * heard only while the goal waits for budget. Histories recorded before it
 * replay as they ran.
 */
export const WAITING_IS_A_STATE = 'waiting-is-a-state';

/** Patch marker: the workflow sets its own memo (goal text, repository), whatever started it. */
export const GOAL_MEMO = 'goal-memo';

/** The phase of each kind of wait. */
const AWAITING_PHASE: Record<GoalWaiting['kind'], GoalPhase> = {
  plan_approval: 'awaiting_plan_approval',
  publish_approval: 'awaiting_publish_approval',
  budget: 'awaiting_budget',
};

/** What a model turn says about how it was priced: the price and the model (profile) the worker used. */
export interface PricedCall {
  price?: ModelPrice;
  model?: string;
}

/** What a goal's state carries into the next run when it continues as new. */
export interface GoalStateSnapshot {
  iteration: number;
  usage: Usage;
  costUsd?: number;
  /** The model (profile) the worker resolved for the goal's calls. */
  model?: string;
  checks: CheckResult[];
  lastTool?: { name: string; argumentsPreview: string; summary: string };
  limits: BudgetLimits;
  pendingFeedback: string[];
  /** Where the sandbox's environment came from (absent in snapshots made before the environment cache). */
  environment?: string;
}

/** The mutable state of one goal. */
export class GoalState {
  private currentPhase: GoalPhase = 'validating';
  iteration = 0;
  usage: Usage = NO_USAGE;
  costUsd?: number;
  /** The model (profile) the worker resolved for the goal's calls, once a call reported it. */
  model?: string;
  checks: CheckResult[] = [];
  lastTool?: { name: string; argumentsPreview: string; summary: string };
  sandbox?: SandboxRef;
  /** Where the sandbox's environment came from (the setup phase's line). */
  environment?: string;
  result?: GoalResult;
  waitingFor?: string;
  readonly limits: BudgetLimits;
  readonly pendingFeedback: string[] = [];
  private finishNow = false;
  private extended = false;
  /** The wait for a person, while the goal waits; `paused`: the deadline does not run meanwhile. */
  private waitState?: GoalWaiting & { paused: boolean };
  /** The activity running now. */
  currentCall?: CurrentCall;
  /** The gate the goal waits at, and the decision once a person made it. */
  private gate?: { kind: 'plan' | 'publish'; decision?: ApprovalDecision };
  /** The plan the model proposed, while it waits for approval (up to 4000 characters). */
  plan?: string;

  constructor(
    readonly goalId: string,
    readonly input: GoalInput,
    readonly policy: Policy,
    startedAt: number,
    restored?: GoalStateSnapshot,
  ) {
    this.limits = {
      maxIterations: policy.maxIterations,
      maxTotalTokens: policy.maxTotalTokens,
      maxCostUsd: policy.maxCostUsd,
      deadlineAt: startedAt + Math.min(policy.deadlineSeconds, policy.sandboxMaxLifetimeSeconds) * 1000,
    };
    if (policy.maxCostUsd !== undefined || priceOf(policy, input.model?.name)) this.costUsd = 0;
    if (restored) {
      this.iteration = restored.iteration;
      this.usage = restored.usage;
      this.costUsd = restored.costUsd;
      this.model = restored.model;
      this.checks = restored.checks;
      this.lastTool = restored.lastTool;
      this.environment = restored.environment;
      Object.assign(this.limits, restored.limits);
      this.pendingFeedback.push(...restored.pendingFeedback);
    }
    upsertSearchAttributes([
      { key: REPOSITORY_ATTRIBUTE, value: input.repository },
      { key: PHASE_ATTRIBUTE, value: this.currentPhase },
      { key: TOKENS_ATTRIBUTE, value: this.usage.totalTokens },
    ]);
    this.setMemo(input.goal);
    this.refreshDetails();
  }

  /** Sets the memo (goal text, repository) from the workflow itself, so that every start path has it. */
  setMemo(goal: string): void {
    if (patched(GOAL_MEMO)) upsertMemo(goalMemo(this.input, goal));
  }

  /** The Temporal UI's current details: the status view as short markdown. */
  refreshDetails(): void {
    setCurrentDetails(detailsMarkdown(this.view()));
  }

  /** The state to carry into the next run. */
  snapshot(): GoalStateSnapshot {
    return {
      iteration: this.iteration,
      usage: this.usage,
      costUsd: this.costUsd,
      ...(this.model !== undefined ? { model: this.model } : {}),
      checks: this.checks,
      lastTool: this.lastTool,
      limits: { ...this.limits },
      pendingFeedback: [...this.pendingFeedback],
      ...(this.environment !== undefined ? { environment: this.environment } : {}),
    };
  }

  get phase(): GoalPhase {
    return this.currentPhase;
  }

  /** Sets the phase, and the DrydockPhase search attribute with it. */
  set phase(phase: GoalPhase) {
    if (phase === this.currentPhase) return;
    this.currentPhase = phase;
    upsertSearchAttributes([{ key: PHASE_ATTRIBUTE, value: phase }]);
    this.refreshDetails();
  }

  /** Runs an activity call as the goal's current call (status, the UI's details, the activity's summary). */
  async during<T>(kind: CurrentCall['kind'], summary: string, call: () => Promise<T>): Promise<T> {
    const current: CurrentCall = { kind, summary: summary.slice(0, 200), startedAt: Date.now() };
    this.currentCall = current;
    this.refreshDetails();
    try {
      return await call();
    } finally {
      if (this.currentCall === current) this.currentCall = undefined;
      this.refreshDetails();
    }
  }

  /**
   * Adds one model call's usage and its cost: under the price the worker
   * reported for the call (a goal's own policy.prices, else the worker's model
   * profile, else the built-in table), cached prompt tokens at the cached-input rate.
   */
  account(usage: Usage, call: PricedCall = {}): void {
    this.usage = addUsage(this.usage, usage);
    let cost: number | undefined;
    if (patched(CACHED_INPUT_PRICES)) {
      cost = costOf(usage, call.price ?? priceOf(this.policy, this.input.model?.name));
      if (call.model !== undefined) this.model = call.model;
    } else {
      cost = uncachedCostOf(usage, priceOf(this.policy, this.input.model?.name));
    }
    if (cost !== undefined) this.costUsd = (this.costUsd ?? 0) + cost;
    upsertSearchAttributes([
      { key: TOKENS_ATTRIBUTE, value: this.usage.totalTokens },
      ...(this.costUsd !== undefined ? [{ key: COST_ATTRIBUTE, value: this.costUsd }] : []),
    ]);
  }

  /**
   * Waits, durably, at an approval gate until a person decides or the policy's
   * timeout passes (undefined).
   */
  async waitForApproval(
    kind: 'plan' | 'publish',
    what: string,
    wait: Partial<Pick<GoalWaiting, 'diffStat' | 'reason'>> = {},
  ): Promise<ApprovalDecision | undefined> {
    this.gate = { kind };
    this.waitingFor = `${kind} approval: ${what} (send the approve${kind === 'plan' ? 'Plan' : 'Publish'} update; times out in ${this.policy.approvalTimeoutSeconds} s)`;
    const gate = this.gate;
    const decided = await this.waitForPerson(
      {
        kind: kind === 'plan' ? 'plan_approval' : 'publish_approval',
        reason: wait.reason ?? what,
        diffStat: wait.diffStat,
      },
      () => gate.decision !== undefined,
      this.policy.approvalTimeoutSeconds,
    );
    this.gate = undefined;
    this.waitingFor = undefined;
    return decided ? gate.decision : undefined;
  }

  /**
   * Waits for a person: the awaiting_* phase, the structured `waiting` of the
   * status view, a named timer; the deadline moves by the wait's length
   * (policy.ts deadlineAfterWait). False when the timeout passed first.
   */
  private async waitForPerson(
    w: Pick<GoalWaiting, 'kind' | 'reason' | 'diffStat'>,
    answered: () => boolean,
    timeoutSeconds?: number,
  ): Promise<boolean> {
    const paused = patched(WAITING_IS_A_STATE);
    const since = Date.now();
    const until = timeoutSeconds === undefined ? 0 : since + timeoutSeconds * 1000;
    const answers = answersFor(w.kind, this.goalId, w.reason);
    this.waitState = { ...w, since, until, answers, paused };
    const before = this.phase;
    if (paused) this.phase = AWAITING_PHASE[w.kind];
    this.refreshDetails();
    let decided = true;
    try {
      if (timeoutSeconds === undefined) await condition(answered);
      else if (paused)
        decided = await condition(answered, timeoutSeconds * 1000, {
          summary: `waiting for ${WAIT_LABELS[w.kind]} (${durationText(timeoutSeconds)})`,
        });
      else decided = await condition(answered, timeoutSeconds * 1000);
    } finally {
      this.waitState = undefined;
      if (paused) {
        this.limits.deadlineAt = deadlineAfterWait(this.limits.deadlineAt, since, Date.now());
        this.phase = before;
      }
      this.refreshDetails();
    }
    return decided;
  }

  /** Throws unless the goal waits at this gate (an update validator: refused updates leave no trace in history). */
  assertWaitingFor(kind: 'plan' | 'publish'): void {
    if (this.gate?.kind !== kind || this.gate.decision) {
      throw new Error(`the goal is not waiting for ${kind} approval (${this.stateText()})`);
    }
  }

  /** The goal's state in a few words, for a refusal: what it waits for, else its phase (and its result once it ended). */
  stateText(): string {
    if (this.waitingFor) return `it waits for ${this.waitingFor}`;
    if (this.result) return `it ended ${this.result.status}; phase ${this.phase}`;
    return `phase ${this.phase}`;
  }

  /** Records a person's decision at the gate the goal waits at. */
  decide(kind: 'plan' | 'publish', decision: ApprovalDecision): string {
    this.assertWaitingFor(kind);
    // As before: any non-empty comment sends back (the CLI refuses a blank one at the edge).
    const comment = decision.comment ? decision.comment.slice(0, 8000) : undefined;
    const by = typeof decision.by === 'string' && decision.by.trim() ? decision.by.slice(0, 200) : undefined;
    this.gate!.decision = { approved: decision.approved, comment, by };
    return decisionReply(kind, { approved: decision.approved, comment, by });
  }

  /** The budget the next model call must fit in. */
  callBudget(): CallBudget {
    const p = this.policy;
    return {
      remainingTokens: this.limits.maxTotalTokens - this.usage.totalTokens,
      remainingCostUsd: this.limits.maxCostUsd === undefined ? undefined : this.limits.maxCostUsd - (this.costUsd ?? 0),
      price: priceOf(p, this.input.model?.name),
      goalPrice: this.input.model?.name !== undefined ? this.input.policy?.prices?.[this.input.model.name] : undefined,
      maxPromptTokens: p.maxPromptTokensPerCall,
      observationWindow: p.observationWindow,
      timeoutSeconds: p.modelCallTimeoutSeconds,
      idleTimeoutSeconds: p.modelIdleTimeoutSeconds,
    };
  }

  /** The budget limit reached, as a reason; undefined while there is budget left. */
  exhaustedLimit(): string | undefined {
    const l = this.limits;
    if (this.iteration >= l.maxIterations) return `max iterations (${l.maxIterations}) reached`;
    if (this.usage.totalTokens >= l.maxTotalTokens) return `token budget (${l.maxTotalTokens}) used up`;
    if (l.maxCostUsd !== undefined && (this.costUsd ?? 0) >= l.maxCostUsd)
      return `cost budget ($${l.maxCostUsd}) used up`;
    return undefined;
  }

  /** Raises the limits by an extension (already validated); while the goal waits, the deadline's clock stands at the wait's start. */
  extend(e: BudgetExtension, now: number): BudgetLimits {
    const l = this.limits;
    if (e.iterations) l.maxIterations += e.iterations;
    if (e.tokens) l.maxTotalTokens += e.tokens;
    if (e.costUsd) l.maxCostUsd = (l.maxCostUsd ?? this.costUsd ?? 0) + e.costUsd;
    if (e.seconds)
      l.deadlineAt = extendedDeadline(l.deadlineAt, e.seconds, this.waitState?.paused ? this.waitState.since : now);
    this.extended = true;
    this.refreshDetails();
    return { ...l };
  }

  /** Throws unless a dollar extension can be priced: the goal's model has a price (an extendBudget validator). */
  assertPriced(e: BudgetExtension): void {
    if (e.costUsd === undefined || this.costUsd !== undefined) return;
    const model = this.model ?? this.input.model?.name;
    throw new Error(
      `the goal's model${model ? ` (${model})` : ''} has no price, so a dollar budget cannot be kept; extend by tokens, iterations or seconds, or give the model a price (policy.prices, DRYDOCK_MODELS)`,
    );
  }

  /** True while the goal waits for a person to extend its budget or finish now. */
  get waitingForBudget(): boolean {
    return this.waitState?.kind === 'budget';
  }

  /** Throws unless the goal waits for budget (the finishNow update's validator), with the goal's state. */
  assertWaitingForBudget(): void {
    if (!this.waitingForBudget || this.finishNow || this.extended)
      throw new Error(`the goal is not waiting for budget, so there is nothing to finish now (${this.stateText()})`);
  }

  /**
   * Requests that a goal waiting for budget publish what it has. Before
   * WAITING_IS_A_STATE the request was stored for any later wait; now one that
   * comes while the goal does not wait for budget is ignored.
   */
  requestFinishNow(): string {
    if (patched(WAITING_IS_A_STATE) && !this.waitingForBudget) {
      log.info('finishNow ignored: the goal is not waiting for budget', { phase: this.phase });
      return `ignored: ${this.stateText()}`;
    }
    this.finishNow = true;
    return this.policy.onExhausted === 'ask'
      ? 'finishing now: the goal stops working and publishes what it has as a draft PR'
      : 'finishing now';
  }

  /** Waits, durably, for extendBudget (true) or finishNow (false). */
  async waitForBudgetDecision(reason: string): Promise<boolean> {
    this.extended = false;
    if (patched(WAITING_IS_A_STATE)) this.finishNow = false;
    this.waitingFor = `budget: ${reason} (send the extendBudget update or the finishNow signal)`;
    await this.waitForPerson({ kind: 'budget', reason }, () => this.extended || this.finishNow);
    this.waitingFor = undefined;
    return this.extended && !this.finishNow;
  }

  recordChecks(results: CheckResult[]): void {
    this.checks = results;
  }

  baseResult(): GoalResult {
    return {
      status: 'failed',
      summary: '',
      usage: this.usage,
      costUsd: this.costUsd,
      ...(this.model !== undefined ? { model: this.model } : {}),
      iterations: this.iteration,
      checks: this.checks,
    };
  }

  finish(outcome: Pick<GoalResult, 'status' | 'summary'> & Partial<GoalResult>): GoalResult {
    this.result = { ...this.baseResult(), ...outcome };
    upsertSearchAttributes([{ key: OUTCOME_ATTRIBUTE, value: this.result.status }]);
    this.refreshDetails();
    return this.result;
  }

  view(): GoalStatusView {
    const state = this.checks.length === 0 ? 'not_run' : this.checks.every((c) => c.passed) ? 'passed' : 'failed';
    return {
      workflowId: this.goalId,
      repository: this.input.repository,
      goal: (this.input.goal ?? '').slice(0, 500),
      phase: this.phase,
      iteration: this.iteration,
      maxIterations: this.limits.maxIterations,
      usage: this.usage,
      costUsd: this.costUsd,
      model: this.model,
      limits: { ...this.limits },
      waitingFor: this.waitingFor,
      ...(this.waitState ? { waiting: publicWait(this.waitState) } : {}),
      ...(this.currentCall ? { currentCall: { ...this.currentCall } } : {}),
      plan: this.gate?.kind === 'plan' ? this.plan : undefined,
      lastTool: this.lastTool,
      checks: { state, results: this.checks.map((c) => ({ command: c.command, exitCode: c.exitCode })) },
      sandboxHost: this.sandbox?.host,
      ...(this.environment ? { environment: this.environment } : {}),
      sandboxLimits: this.sandbox?.limits,
      sandboxPolicy: this.sandbox?.policy,
      result: this.result,
    };
  }
}

/** The wait as the status view shows it (without the workflow's own bookkeeping). */
function publicWait(w: GoalWaiting & { paused: boolean }): GoalWaiting {
  const { paused: _paused, ...rest } = w;
  return { ...rest, answers: [...rest.answers] };
}

/** What an approval update answers: true to what the goal does next. */
function decisionReply(kind: 'plan' | 'publish', d: ApprovalDecision): string {
  const by = d.by ? ` by ${d.by}` : '';
  if (d.approved)
    return kind === 'plan'
      ? `plan approved${by}: the model goes to work`
      : `publish approved${by}: the change is published`;
  if (d.comment)
    return kind === 'plan'
      ? `plan sent back${by}: ${d.comment} (the model revises its plan; the goal waits again)`
      : `change sent back${by}: ${d.comment} (the model works on it; the goal waits again before publishing)`;
  return kind === 'plan'
    ? `plan rejected${by}: the goal ends failed. To send the plan back for a revision instead, reject it with a comment (--comment "what to change")`
    : `publishing rejected${by}: the goal ends failed without a pull request. To send the change back to the model instead, reject it with a comment (--comment "what to change")`;
}

/** A duration in the largest whole unit: 7d, 3h, 15m, 40s. */
function durationText(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}
