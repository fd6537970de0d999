/**
 * The state of one goal inside codingAgent: progress, accounting against the
 * budget, what it waits for, and the view the status query returns.
 */
import { condition, patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { CallBudget } from '../activities/activity-types';
import { addUsage, costOf, NO_USAGE, priceOf, uncachedCostOf } from './policy';
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
  GoalInput,
  GoalPhase,
  GoalResult,
  GoalStatusView,
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
  result?: GoalResult;
  waitingFor?: string;
  readonly limits: BudgetLimits;
  readonly pendingFeedback: string[] = [];
  private finishNow = false;
  private extended = false;
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
      Object.assign(this.limits, restored.limits);
      this.pendingFeedback.push(...restored.pendingFeedback);
    }
    upsertSearchAttributes([
      { key: REPOSITORY_ATTRIBUTE, value: input.repository },
      { key: PHASE_ATTRIBUTE, value: this.currentPhase },
      { key: TOKENS_ATTRIBUTE, value: this.usage.totalTokens },
    ]);
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
  async waitForApproval(kind: 'plan' | 'publish', what: string): Promise<ApprovalDecision | undefined> {
    this.gate = { kind };
    this.waitingFor = `${kind} approval: ${what} (send the approve${kind === 'plan' ? 'Plan' : 'Publish'} update; times out in ${this.policy.approvalTimeoutSeconds} s)`;
    const gate = this.gate;
    const decided = await condition(() => gate.decision !== undefined, this.policy.approvalTimeoutSeconds * 1000);
    this.gate = undefined;
    this.waitingFor = undefined;
    return decided ? gate.decision : undefined;
  }

  /** Throws unless the goal waits at this gate (an update validator: refused updates leave no trace in history). */
  assertWaitingFor(kind: 'plan' | 'publish'): void {
    if (this.gate?.kind !== kind || this.gate.decision) {
      throw new Error(
        `the goal is not waiting for ${kind} approval (${this.waitingFor ? `it waits for ${this.waitingFor}` : `phase ${this.phase}`})`,
      );
    }
  }

  /** Records a person's decision at the gate the goal waits at. */
  decide(kind: 'plan' | 'publish', decision: ApprovalDecision): string {
    this.assertWaitingFor(kind);
    this.gate!.decision = {
      approved: decision.approved,
      comment: decision.comment?.slice(0, 8000),
      by: decision.by?.slice(0, 200),
    };
    return decision.approved
      ? `${kind} approved`
      : `${kind} sent back${decision.comment ? `: ${decision.comment}` : ''}`;
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

  /** Raises the limits by an extension (already validated). */
  extend(e: BudgetExtension, now: number): BudgetLimits {
    const l = this.limits;
    if (e.iterations) l.maxIterations += e.iterations;
    if (e.tokens) l.maxTotalTokens += e.tokens;
    if (e.costUsd) l.maxCostUsd = (l.maxCostUsd ?? this.costUsd ?? 0) + e.costUsd;
    if (e.seconds) l.deadlineAt = Math.max(l.deadlineAt, now) + e.seconds * 1000;
    this.extended = true;
    return { ...l };
  }

  /** Requests that a goal waiting for budget publish what it has. */
  requestFinishNow(): void {
    this.finishNow = true;
  }

  /** Waits, durably, for extendBudget (true) or finishNow (false). */
  async waitForBudgetDecision(reason: string): Promise<boolean> {
    this.extended = false;
    this.waitingFor = `budget: ${reason} (send the extendBudget update or the finishNow signal)`;
    await condition(() => this.extended || this.finishNow);
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
      plan: this.gate?.kind === 'plan' ? this.plan : undefined,
      lastTool: this.lastTool,
      checks: { state, results: this.checks.map((c) => ({ command: c.command, exitCode: c.exitCode })) },
      sandboxHost: this.sandbox?.host,
      sandboxLimits: this.sandbox?.limits,
      sandboxPolicy: this.sandbox?.policy,
      result: this.result,
    };
  }
}
