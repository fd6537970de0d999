/**
 * Policy: the limits a goal runs under, with their defaults in this one place,
 * and the validation of a goal's input. Pure functions: used by the CLI at the
 * edge and by the workflow at start.
 */
import { BUILTIN_MODEL_PROFILES, profilePrice } from './model-catalog';
import { internetProblemLines } from './internet-policy';
import type { ExhaustionAction, ModelPrice, Policy, PolicyOptions, Usage } from './types';

/** Built-in prices in USD per million tokens, from the built-in model profiles (override or extend with policy.prices). */
export const DEFAULT_PRICES: Record<string, ModelPrice> = Object.fromEntries(
  Object.entries(BUILTIN_MODEL_PROFILES).flatMap(([name, profile]) => {
    const price = profilePrice(profile);
    return price ? [[name, price]] : [];
  }),
);

/** The defaults every goal gets for the limits it does not set. */
export const DEFAULT_POLICY: Policy = {
  maxIterations: 30,
  maxTotalTokens: 2_000_000,
  maxPromptTokensPerCall: 128_000,
  deadlineSeconds: 2 * 3600,
  commandTimeoutSeconds: 120,
  checkTimeoutSeconds: 600,
  modelCallTimeoutSeconds: 300,
  modelHeartbeatTimeoutSeconds: 60,
  modelIdleTimeoutSeconds: 60,
  sandboxMaxLifetimeSeconds: 4 * 3600,
  sandboxLossTimeoutSeconds: 60,
  turnsPerRun: 200,
  maxToolOutputBytes: 16 * 1024,
  maxInvalidTurns: 3,
  maxRepeatedFailures: 3,
  observationWindow: 4,
  onExhausted: 'publish',
  prices: {},
  allowProtectedPaths: [],
  requirePlanApproval: false,
  requirePublishApproval: false,
  approvalTimeoutSeconds: 7 * 24 * 3600,
};

/** The longest goal text accepted, in characters. */
export const MAX_GOAL_CHARS = 20_000;

type NumericLimit = Exclude<
  keyof PolicyOptions,
  'onExhausted' | 'prices' | 'allowProtectedPaths' | 'requirePlanApproval' | 'requirePublishApproval'
>;

/** Bounds of each numeric limit: [min, max, whole numbers only]. */
const POLICY_BOUNDS: Record<NumericLimit, [number, number, boolean]> = {
  maxIterations: [1, 1000, true],
  maxTotalTokens: [1000, 1_000_000_000, true],
  maxPromptTokensPerCall: [1000, 10_000_000, true],
  maxCostUsd: [0.0001, 100_000, false],
  deadlineSeconds: [1, 30 * 24 * 3600, true],
  commandTimeoutSeconds: [1, 24 * 3600, true],
  checkTimeoutSeconds: [1, 24 * 3600, true],
  modelCallTimeoutSeconds: [1, 3600, true],
  modelHeartbeatTimeoutSeconds: [1, 3600, true],
  modelIdleTimeoutSeconds: [1, 3600, true],
  sandboxMaxLifetimeSeconds: [60, 30 * 24 * 3600, true],
  sandboxLossTimeoutSeconds: [2, 3600, true],
  turnsPerRun: [2, 100_000, true],
  maxToolOutputBytes: [512, 1024 * 1024, true],
  maxInvalidTurns: [1, 100, true],
  maxRepeatedFailures: [2, 100, true],
  observationWindow: [0, 1000, true],
  approvalTimeoutSeconds: [1, 90 * 24 * 3600, true],
};

const EXHAUSTION_ACTIONS: ExhaustionAction[] = ['publish', 'ask', 'stop'];

/** Fills the defaults into a goal's policy options. Does not validate: call validatePolicy first. */
export function compilePolicy(options: PolicyOptions = {}): Policy {
  const { prices, ...rest } = options;
  return { ...DEFAULT_POLICY, ...stripUndefined(rest), prices: { ...DEFAULT_PRICES, ...prices } };
}

/** The price of a model under a policy, or undefined when it has none. */
export function priceOf(policy: Policy, model: string | undefined): ModelPrice | undefined {
  return model === undefined ? undefined : policy.prices[model];
}

/**
 * What a usage report cost under a price. Cached prompt tokens (a part of the
 * prompt tokens on both wire formats) are priced at the cached-input rate when
 * the price has one; reasoning tokens are a part of the completion tokens and
 * so are priced as output once, never added again.
 */
export function costOf(usage: Usage, price: ModelPrice | undefined): number | undefined {
  if (!price) return undefined;
  const cached = Math.min(usage.cachedPromptTokens ?? 0, usage.promptTokens);
  const cachedRate = price.cachedInputPerMillionUsd ?? price.inputPerMillionUsd;
  return (
    ((usage.promptTokens - cached) * price.inputPerMillionUsd +
      cached * cachedRate +
      usage.completionTokens * price.outputPerMillionUsd) /
    1_000_000
  );
}

/** The cost formula before cached-input prices (every prompt token at the input rate): replays older histories. */
export function uncachedCostOf(usage: Usage, price: ModelPrice | undefined): number | undefined {
  if (!price) return undefined;
  return (
    (usage.promptTokens * price.inputPerMillionUsd + usage.completionTokens * price.outputPerMillionUsd) / 1_000_000
  );
}

/**
 * Returns one message per invalid policy field (an empty list when all are
 * valid). `model` is the goal's model name, needed to price a cost limit.
 */
export function validatePolicy(options: unknown, model?: string): string[] {
  if (options === undefined) return [];
  if (!isPlainObject(options)) return ['policy must be an object'];
  const errors: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'onExhausted') {
      if (!EXHAUSTION_ACTIONS.includes(value as ExhaustionAction)) {
        errors.push(`policy.onExhausted must be one of ${EXHAUSTION_ACTIONS.join(', ')}, got ${JSON.stringify(value)}`);
      }
      continue;
    }
    if (key === 'prices') {
      errors.push(...validatePrices(value));
      continue;
    }
    if (key === 'requirePlanApproval' || key === 'requirePublishApproval') {
      if (typeof value !== 'boolean') errors.push(`policy.${key} must be true or false, got ${JSON.stringify(value)}`);
      continue;
    }
    if (key === 'allowProtectedPaths') {
      // Globs the publish gate matches; ".." could never name a path inside the repository.
      if (
        !Array.isArray(value) ||
        value.length > 100 ||
        value.some((g) => typeof g !== 'string' || g.trim() === '' || g.length > 200 || g.split('/').includes('..'))
      ) {
        errors.push(
          'policy.allowProtectedPaths must be a list of at most 100 path globs without ".." (e.g. [".github/workflows/**"])',
        );
      }
      continue;
    }
    const bounds = POLICY_BOUNDS[key as NumericLimit];
    if (!bounds) {
      errors.push(
        `policy.${key} is not a known limit (known: ${[...Object.keys(POLICY_BOUNDS), 'onExhausted', 'prices', 'allowProtectedPaths', 'requirePlanApproval', 'requirePublishApproval'].join(', ')})`,
      );
      continue;
    }
    const [min, max, whole] = bounds;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      errors.push(`policy.${key} must be a number, got ${JSON.stringify(value)}`);
    } else if (whole && !Number.isInteger(value)) {
      errors.push(`policy.${key} must be a whole number, got ${value}`);
    } else if (value < min || value > max) {
      errors.push(`policy.${key} must be between ${min} and ${max}, got ${value}`);
    }
  }
  const maxCost = (options as PolicyOptions).maxCostUsd;
  if (typeof maxCost === 'number' && errors.length === 0) {
    const prices = { ...DEFAULT_PRICES, ...((options as PolicyOptions).prices ?? {}) };
    if (model === undefined) {
      errors.push('policy.maxCostUsd needs the goal to name its model (model.name), so that its price is known');
    } else if (!prices[model]) {
      errors.push(
        `policy.maxCostUsd: no price for model ${JSON.stringify(model)}; add one with policy.prices (known: ${Object.keys(prices).join(', ')})`,
      );
    }
  }
  return errors;
}

function validatePrices(prices: unknown): string[] {
  if (!isPlainObject(prices))
    return [
      'policy.prices must be an object of model name → { inputPerMillionUsd, cachedInputPerMillionUsd?, outputPerMillionUsd, contextTokens? }',
    ];
  const errors: string[] = [];
  for (const [model, price] of Object.entries(prices)) {
    errors.push(...validatePrice(price, `policy.prices.${model}`));
  }
  return errors;
}

/** The fields a price may have. */
const PRICE_FIELDS = ['inputPerMillionUsd', 'cachedInputPerMillionUsd', 'outputPerMillionUsd', 'contextTokens'];

/**
 * One message per invalid field of one price (`where` names it in the messages,
 * e.g. `policy.prices.gpt-4.1`). `strict` also refuses unknown fields (an
 * operator's file); a goal's prices keep ignoring them, as recorded goals did.
 */
export function validatePrice(price: unknown, where: string, strict = false): string[] {
  const errors: string[] = [];
  const p = isPlainObject(price) ? price : {};
  if (strict && !isPlainObject(price))
    return [`${where} must be an object with inputPerMillionUsd and outputPerMillionUsd`];
  for (const field of ['inputPerMillionUsd', 'outputPerMillionUsd'] as const) {
    const v = p[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) errors.push(`${where}.${field} must be a number >= 0`);
  }
  const cached = p.cachedInputPerMillionUsd;
  if (cached !== undefined && (typeof cached !== 'number' || !Number.isFinite(cached) || cached < 0)) {
    errors.push(`${where}.cachedInputPerMillionUsd must be a number >= 0`);
  }
  for (const key of strict ? Object.keys(p) : []) {
    if (!PRICE_FIELDS.includes(key)) errors.push(`${where}.${key} is not a price field (${PRICE_FIELDS.join(', ')})`);
  }
  const ctx = p.contextTokens;
  if (ctx !== undefined && (typeof ctx !== 'number' || !Number.isInteger(ctx) || ctx < 1000)) {
    errors.push(`${where}.contextTokens must be a whole number >= 1000`);
  }
  return errors;
}

/** Returns one message per invalid field of an extendBudget request. */
export function validateBudgetExtension(extension: unknown): string[] {
  if (!isPlainObject(extension)) return ['the extension must be an object with tokens, costUsd, iterations or seconds'];
  const errors: string[] = [];
  const fields = ['tokens', 'costUsd', 'iterations', 'seconds'];
  let any = false;
  for (const [key, value] of Object.entries(extension)) {
    if (value === undefined) continue;
    if (!fields.includes(key)) {
      errors.push(`${key} is not something a budget can be extended by (${fields.join(', ')})`);
      continue;
    }
    any = true;
    const whole = key !== 'costUsd';
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (whole && !Number.isInteger(value))) {
      errors.push(`${key} must be a ${whole ? 'whole ' : ''}number above 0, got ${JSON.stringify(value)}`);
    }
  }
  if (!any && errors.length === 0) errors.push('say how much to extend by: tokens, costUsd, iterations or seconds');
  return errors;
}

/** Returns one message per problem with a goal's input (an empty list when it is valid). */
export function validateGoalInput(input: unknown): string[] {
  if (!isPlainObject(input)) return ['the goal input must be a JSON object with repository and goal'];
  const errors: string[] = [];
  const { repository, baseBranch, goal, checks, model, policy } = input as Record<string, unknown>;
  if (typeof repository !== 'string' || repository.trim() === '') {
    errors.push('repository is required: a local git repository path or a git URL');
  } else if (/[\0\n\r]/.test(repository) || repository.startsWith('-')) {
    errors.push(`repository ${JSON.stringify(repository)} is not a valid path or URL`);
  } else if (/^ext::/i.test(repository)) {
    errors.push('repository: the ext:: transport is not allowed');
  } else if (!isGitUrl(repository) && !repository.startsWith('/')) {
    errors.push(
      `repository ${JSON.stringify(repository)} must be an absolute path or a git URL (https://, ssh://, git://, file:// or user@host:path)`,
    );
  }
  if (baseBranch !== undefined && (typeof baseBranch !== 'string' || !isValidBranchName(baseBranch))) {
    errors.push(`baseBranch ${JSON.stringify(baseBranch)} is not a valid branch name`);
  }
  const { issue, pullRequest } = input as Record<string, unknown>;
  errors.push(...validateGitHubSource(issue, pullRequest));
  // A goal from an issue or a pull request's review is read from GitHub, so its text may be empty here.
  const fromGitHub = issue !== undefined || pullRequest !== undefined;
  const goalText = goal === undefined && fromGitHub ? '' : goal;
  if (typeof goalText !== 'string' || (goalText.trim() === '' && !fromGitHub)) {
    errors.push('goal is required: say what to do in plain words');
  } else if (goalText.length > MAX_GOAL_CHARS) {
    errors.push(
      `goal is ${goalText.length} characters; the limit is ${MAX_GOAL_CHARS} (put long specifications in the repository and point to them)`,
    );
  }
  if (checks !== undefined) {
    if (!Array.isArray(checks) || checks.some((c) => typeof c !== 'string' || c.trim() === '')) {
      errors.push('checks must be a list of non-empty command strings');
    }
  }
  if (model !== undefined) {
    if (!isPlainObject(model) || typeof model.name !== 'string' || model.name.trim() === '') {
      errors.push('model must be an object with a non-empty name');
    } else if (
      model.baseUrl !== undefined &&
      (typeof model.baseUrl !== 'string' || !/^https?:\/\//.test(model.baseUrl))
    ) {
      errors.push('model.baseUrl must be an http(s) URL');
    }
  }
  errors.push(
    ...validatePolicy(policy, isPlainObject(model) && typeof model.name === 'string' ? model.name : undefined),
  );
  const { setup } = input as Record<string, unknown>;
  if (setup !== undefined) {
    // Secrets are named, never passed: a NAME the sandbox worker resolves from DRYDOCK_SETUP_SECRET_<NAME>.
    if (
      !isPlainObject(setup) ||
      typeof setup.script !== 'string' ||
      setup.script.trim() === '' ||
      setup.script.length > 100_000
    ) {
      errors.push('setup must be { script, secrets? } with a non-empty script of at most 100000 characters');
    } else if (
      setup.secrets !== undefined &&
      (!Array.isArray(setup.secrets) ||
        setup.secrets.some((n) => typeof n !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(n)))
    ) {
      errors.push('setup.secrets must be a list of secret NAMES (upper-case letters, digits, _), never values');
    }
  }
  const { internet } = input as Record<string, unknown>;
  if (internet !== undefined) errors.push(...internetProblemLines(internet, 'internet'));
  return errors;
}

/** Checks GoalInput.issue ({ owner, repo, number }) and GoalInput.pullRequest ({ number, headBranch? }). */
function validateGitHubSource(issue: unknown, pullRequest: unknown): string[] {
  const errors: string[] = [];
  const name = /^[A-Za-z0-9_.-]{1,100}$/;
  const isNumber = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (issue !== undefined) {
    if (
      !isPlainObject(issue) ||
      typeof issue.owner !== 'string' ||
      !name.test(issue.owner) ||
      typeof issue.repo !== 'string' ||
      !name.test(issue.repo) ||
      !isNumber(issue.number)
    ) {
      errors.push(
        'issue must be { owner, repo, number } naming a GitHub issue, e.g. { "owner": "acme", "repo": "app", "number": 123 }',
      );
    }
  }
  if (pullRequest !== undefined) {
    if (!isPlainObject(pullRequest) || !isNumber(pullRequest.number)) {
      errors.push('pullRequest must be { number, headBranch? } with a positive whole number');
    } else if (
      pullRequest.headBranch !== undefined &&
      (typeof pullRequest.headBranch !== 'string' || !isValidBranchName(pullRequest.headBranch))
    ) {
      errors.push(`pullRequest.headBranch ${JSON.stringify(pullRequest.headBranch)} is not a valid branch name`);
    }
  }
  if (issue !== undefined && pullRequest !== undefined) errors.push('give issue or pullRequest, not both');
  return errors;
}

/** True when a string is an acceptable git branch name (a conservative subset of git's rules). */
export function isValidBranchName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 200 &&
    !name.startsWith('-') &&
    !name.startsWith('/') &&
    !name.endsWith('/') &&
    !name.endsWith('.lock') &&
    !name.includes('..') &&
    !name.includes('//') &&
    !name.includes('@{') &&
    !/[\s~^:?*[\\\0-\x1f\x7f]/.test(name)
  );
}

/** True when a repository string is a git URL rather than a local path. */
export function isGitUrl(repository: string): boolean {
  return /^(https?|ssh|git|file):\/\//i.test(repository) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(repository);
}

/**
 * The rule of waiting: time a goal spends waiting for a person (a plan or
 * publish approval, more budget) does not count against its deadline. When the
 * wait ends, the deadline moves by the wait's length.
 */
export function deadlineAfterWait(deadlineAt: number, waitStartedAt: number, now: number): number {
  return deadlineAt + Math.max(0, now - waitStartedAt);
}

/**
 * A deadline extended by `seconds`: from the deadline, or from `now` when it has
 * passed. While the goal waits for a person its clock stands still, so `now`
 * is the wait's start (deadlineAfterWait adds the wait afterwards).
 */
export function extendedDeadline(deadlineAt: number, seconds: number, now: number): number {
  return Math.max(deadlineAt, now) + seconds * 1000;
}

/** Zero usage. */
export const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

/** Adds two usage reports. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    // Absent on both sides stays absent, so older histories' accounting replays unchanged.
    ...(a.cachedPromptTokens !== undefined || b.cachedPromptTokens !== undefined
      ? { cachedPromptTokens: (a.cachedPromptTokens ?? 0) + (b.cachedPromptTokens ?? 0) }
      : {}),
    ...(a.reasoningTokens !== undefined || b.reasoningTokens !== undefined
      ? { reasoningTokens: (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0) }
      : {}),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
