/**
 * The messages a goal answers, as one table: the status query, the budget
 * extension, finish-now, the two approval gates and feedback. Each handler
 * acts on the goal's state; refused updates leave no trace in history.
 */
import { setHandler } from '@temporalio/workflow';
import type { GoalState } from './goal-state';
import {
  approvePlanUpdate,
  approvePublishUpdate,
  extendBudgetUpdate,
  feedbackSignal,
  finishNowSignal,
  finishNowUpdate,
  statusQuery,
} from './messages';
import { validateBudgetExtension } from './policy';

/** Longest feedback message kept, in characters. */
const MAX_FEEDBACK_CHARS = 8000;

/** Registers every handler of a goal on its state. */
export function registerGoalHandlers(state: GoalState): void {
  setHandler(statusQuery, () => state.view());
  setHandler(extendBudgetUpdate, (extension) => state.extend(extension, Date.now()), {
    validator: (extension) => {
      const problems = validateBudgetExtension(extension);
      if (problems.length > 0) throw new Error(`invalid budget extension: ${problems.join('; ')}`);
      state.assertPriced(extension);
    },
  });
  setHandler(finishNowSignal, () => void state.requestFinishNow());
  setHandler(finishNowUpdate, () => state.requestFinishNow(), { validator: () => state.assertWaitingForBudget() });
  for (const [update, kind] of [
    [approvePlanUpdate, 'plan'],
    [approvePublishUpdate, 'publish'],
  ] as const) {
    setHandler(update, (decision) => state.decide(kind, decision), {
      validator: (decision) => {
        if (typeof decision !== 'object' || decision === null || typeof decision.approved !== 'boolean') {
          throw new Error('an approval is { approved: true|false, comment?, by? }');
        }
        state.assertWaitingFor(kind);
      },
    });
  }
  setHandler(feedbackSignal, (message: string) => {
    if (typeof message === 'string' && message.trim() !== '')
      state.pendingFeedback.push(message.slice(0, MAX_FEEDBACK_CHARS));
  });
}
