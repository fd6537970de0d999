/**
 * The state of one goal inside codingAgent: progress, accounting against the
 * budget, what it waits for, and the view the status query returns.
 */
import { condition } from '@temporalio/workflow';
import { addUsage, costOf, NO_USAGE, priceOf } from './policy';
import type {
  BudgetExtension,
  BudgetLimits,
  CheckResult,
  GoalInput,
  GoalPhase,
  GoalResult,
  GoalStatusView,
  Policy,
  SandboxRef,
  Usage,
} from './types';

/** The mutable state of one goal. */
export class GoalState {
  phase: GoalPhase = 'validating';
  iteration = 0;
  usage: Usage = NO_USAGE;
  costUsd?: number;
  checks: CheckResult[] = [];
  lastTool?: { name: string; argumentsPreview: string; summary: string };
  sandbox?: SandboxRef;
  result?: GoalResult;
  waitingFor?: string;
  readonly limits: BudgetLimits;
  readonly pendingFeedback: string[] = [];
  private finishNow = false;
  private extended = false;

  constructor(
    readonly goalId: string,
    readonly input: GoalInput,
    readonly policy: Policy,
    startedAt: number,
  ) {
    this.limits = {
      maxIterations: policy.maxIterations,
      maxTotalTokens: policy.maxTotalTokens,
      maxCostUsd: policy.maxCostUsd,
      deadlineAt: startedAt + Math.min(policy.deadlineSeconds, policy.sandboxMaxLifetimeSeconds) * 1000,
    };
    if (policy.maxCostUsd !== undefined || priceOf(policy, input.model?.name)) this.costUsd = 0;
  }

  /** Adds one model call's usage and its cost. */
  account(usage: Usage): void {
    this.usage = addUsage(this.usage, usage);
    const cost = costOf(usage, priceOf(this.policy, this.input.model?.name));
    if (cost !== undefined) this.costUsd = (this.costUsd ?? 0) + cost;
  }

  /** The budget limit reached, as a reason; undefined while there is budget left. */
  exhaustedLimit(): string | undefined {
    const l = this.limits;
    if (this.iteration >= l.maxIterations) return `max iterations (${l.maxIterations}) reached`;
    if (this.usage.totalTokens >= l.maxTotalTokens) return `token budget (${l.maxTotalTokens}) used up`;
    if (l.maxCostUsd !== undefined && (this.costUsd ?? 0) >= l.maxCostUsd) return `cost budget ($${l.maxCostUsd}) used up`;
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
    return { status: 'failed', summary: '', usage: this.usage, costUsd: this.costUsd, iterations: this.iteration, checks: this.checks };
  }

  finish(outcome: Pick<GoalResult, 'status' | 'summary'> & Partial<GoalResult>): GoalResult {
    this.result = { ...this.baseResult(), ...outcome };
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
      limits: { ...this.limits },
      waitingFor: this.waitingFor,
      lastTool: this.lastTool,
      checks: { state, results: this.checks.map((c) => ({ command: c.command, exitCode: c.exitCode })) },
      sandboxHost: this.sandbox?.host,
      result: this.result,
    };
  }
}
