/** drydock's custom search attributes (registered by scripts/dev-server and the test environment). */
import { defineSearchAttributeKey } from '@temporalio/common';

/** The goal's repository. */
export const REPOSITORY_ATTRIBUTE = defineSearchAttributeKey('DrydockRepository', 'KEYWORD');
/** The goal's phase. */
export const PHASE_ATTRIBUTE = defineSearchAttributeKey('DrydockPhase', 'KEYWORD');
/** Tokens used so far. */
export const TOKENS_ATTRIBUTE = defineSearchAttributeKey('DrydockTokens', 'INT');
/** Cost so far in USD. */
export const COST_ATTRIBUTE = defineSearchAttributeKey('DrydockCostUsd', 'DOUBLE');
/** How the goal ended (a GoalStatus). */
export const OUTCOME_ATTRIBUTE = defineSearchAttributeKey('DrydockOutcome', 'KEYWORD');

/** Every drydock search attribute. */
export const DRYDOCK_SEARCH_ATTRIBUTES = [
  REPOSITORY_ATTRIBUTE,
  PHASE_ATTRIBUTE,
  TOKENS_ATTRIBUTE,
  COST_ATTRIBUTE,
  OUTCOME_ATTRIBUTE,
];
