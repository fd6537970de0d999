/** The policy flags `start`, `revise` and `schedule create` share, parsed at the edge into PolicyOptions and a model. */
import type { Command } from 'commander';
import type { ExhaustionAction, PolicyOptions } from '../../workflows/types';
import { durationSeconds, oneOf, positiveAmount, wholeNumber } from './command-kit';

/** What the policy flags parse to. */
export interface PolicyFlags {
  model?: string;
  maxIterations?: number;
  maxTokens?: number;
  maxCost?: number;
  deadline?: number;
  onExhausted?: ExhaustionAction;
  requirePlanApproval?: boolean;
  requirePublishApproval?: boolean;
}

/** The ways a goal can end when a budget runs out. */
const EXHAUSTION_ACTIONS = ['publish', 'ask', 'stop'] as const;

/** Adds the policy flags to a command. */
export function addPolicyOptions(command: Command): Command {
  return command
    .option('--model <name>', "model profile or name (default: the agent worker's DRYDOCK_MODEL; see drydock models)")
    .option('--max-iterations <n>', 'model turns at most (default 30)', wholeNumber(1))
    .option('--max-tokens <n>', 'tokens (prompt + completion) the goal may use', wholeNumber(1))
    .option('--max-cost <usd>', 'dollars the goal may spend (needs a priced model)', positiveAmount)
    .option('--deadline <duration>', 'working time at most: seconds, or 30m, 2h (default 2h)', durationSeconds)
    .option(
      '--on-exhausted <action>',
      'when a budget runs out: publish (a draft), ask (wait for you) or stop',
      oneOf(EXHAUSTION_ACTIONS),
    )
    .option('--require-plan-approval', 'wait for `drydock approve plan` before changing anything')
    .option('--require-publish-approval', 'wait for `drydock approve publish` before publishing');
}

/** The PolicyOptions the flags set (empty when none is given). */
export function policyFrom(f: PolicyFlags): PolicyOptions {
  const policy: PolicyOptions = {};
  if (f.maxIterations !== undefined) policy.maxIterations = f.maxIterations;
  if (f.maxTokens !== undefined) policy.maxTotalTokens = f.maxTokens;
  if (f.maxCost !== undefined) policy.maxCostUsd = f.maxCost;
  if (f.deadline !== undefined) policy.deadlineSeconds = f.deadline;
  if (f.onExhausted !== undefined) policy.onExhausted = f.onExhausted;
  if (f.requirePlanApproval) policy.requirePlanApproval = true;
  if (f.requirePublishApproval) policy.requirePublishApproval = true;
  return policy;
}
