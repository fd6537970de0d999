/**
 * Approval gates of codingAgent: a person approves the model's plan before it
 * changes anything, and the final change before it is published. The workflow
 * waits durably, for as long as the policy allows.
 */
import type { AgentActivities } from '../activities/activity-types';
import type { GoalState } from './goal-state';
import type { GoalWaiting } from './types';

/** How a gate ended: go on, send back with a comment, or stop with a reason. */
export type GateOutcome =
  { kind: 'approved' } | { kind: 'sent_back'; comment: string } | { kind: 'stopped'; reason: string };

type Agent = Pick<AgentActivities, 'callModel' | 'appendMessage'>;

const PLAN_REQUEST =
  'Before you change anything, reply with your plan in plain text: what you will change, where, and how you will check it. A person approves it before you go on.';

/**
 * Asks the model for a plan (text only) and waits for approvePlan; a plan sent
 * back with a comment is revised and waits again. Returns the conversation's
 * new length, or the reason the goal stops.
 */
export async function agreeOnPlan(
  state: GoalState,
  agent: Agent,
  o: { goalId: string; length: number },
): Promise<{ length: number } | { stop: string; status: 'failed' | 'budget_exhausted' }> {
  let length = o.length;
  let request = PLAN_REQUEST;
  for (;;) {
    await agent.appendMessage({ goalId: o.goalId, index: length++, role: 'user', content: request });
    const limit = state.exhaustedLimit();
    if (limit) return { stop: limit, status: 'budget_exhausted' };
    const turn = await state.during('model', `model turn ${state.iteration + 1} (plan)`, () =>
      agent.callModel({
        goalId: o.goalId,
        step: state.iteration,
        length,
        model: state.input.model,
        budget: state.callBudget(),
        toolChoice: 'none',
      }),
    );
    if (turn.refused) return { stop: turn.refused, status: 'budget_exhausted' };
    state.iteration++;
    state.account(turn.usage, turn);
    length = turn.assistantIndex + 1;
    state.plan = turn.textPreview || '(the model gave an empty plan)';
    const decision = await state.waitForApproval('plan', `${state.plan.split('\n')[0]?.slice(0, 120) ?? ''}…`);
    if (!decision)
      return {
        stop: `no decision on the plan within ${state.policy.approvalTimeoutSeconds} s (approval timed out)`,
        status: 'failed',
      };
    if (decision.approved) {
      const note = decision.comment ? ` Note from ${decision.by ?? 'the reviewer'}: ${decision.comment}` : '';
      await agent.appendMessage({
        goalId: o.goalId,
        index: length++,
        role: 'user',
        content: `The plan is approved. Go ahead.${note}`,
      });
      return { length };
    }
    if (!decision.comment)
      return { stop: `the plan was rejected${decision.by ? ` by ${decision.by}` : ''}`, status: 'failed' };
    request = `The plan was not approved: ${decision.comment}\nReply with a revised plan in plain text.`;
  }
}

/** Waits for approvePublish on a change; a change sent back with a comment goes back to the model. */
export async function approvePublish(
  state: GoalState,
  what: string,
  wait: Pick<GoalWaiting, 'diffStat' | 'reason'>,
): Promise<GateOutcome> {
  const decision = await state.waitForApproval('publish', what, wait);
  if (!decision)
    return {
      kind: 'stopped',
      reason: `no decision on publishing within ${state.policy.approvalTimeoutSeconds} s (approval timed out)`,
    };
  if (decision.approved) return { kind: 'approved' };
  if (!decision.comment)
    return { kind: 'stopped', reason: `publishing was rejected${decision.by ? ` by ${decision.by}` : ''}` };
  return { kind: 'sent_back', comment: decision.comment };
}
