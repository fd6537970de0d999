/**
 * Policy: the limits a goal runs under, with their defaults in this one place,
 * and the validation of a goal's input. Pure functions: used by the CLI at the
 * edge and by the workflow at start.
 */
import type { Policy, PolicyOptions, Usage } from './types';

/** The defaults every goal gets for the limits it does not set. */
export const DEFAULT_POLICY: Policy = {
  maxIterations: 30,
  commandTimeoutSeconds: 120,
  checkTimeoutSeconds: 600,
  modelCallTimeoutSeconds: 300,
  maxToolOutputBytes: 16 * 1024,
};

/** The longest goal text accepted, in characters. */
export const MAX_GOAL_CHARS = 20_000;

/** Bounds of each numeric limit: [min, max]. */
const POLICY_BOUNDS: { [K in keyof Policy]: [number, number] } = {
  maxIterations: [1, 1000],
  commandTimeoutSeconds: [1, 24 * 3600],
  checkTimeoutSeconds: [1, 24 * 3600],
  modelCallTimeoutSeconds: [1, 3600],
  maxToolOutputBytes: [512, 1024 * 1024],
};

/** Fills the defaults into a goal's policy options. Does not validate: call validatePolicy first. */
export function compilePolicy(options: PolicyOptions = {}): Policy {
  return { ...DEFAULT_POLICY, ...stripUndefined(options) };
}

/** Returns one message per invalid policy field (an empty list when all are valid). */
export function validatePolicy(options: unknown): string[] {
  if (options === undefined) return [];
  if (!isPlainObject(options)) return ['policy must be an object'];
  const errors: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const bounds = POLICY_BOUNDS[key as keyof Policy];
    if (!bounds) {
      errors.push(`policy.${key} is not a known limit (known: ${Object.keys(POLICY_BOUNDS).join(', ')})`);
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      errors.push(`policy.${key} must be a number, got ${JSON.stringify(value)}`);
    } else if (!Number.isInteger(value)) {
      errors.push(`policy.${key} must be a whole number, got ${value}`);
    } else if (value < bounds[0] || value > bounds[1]) {
      errors.push(`policy.${key} must be between ${bounds[0]} and ${bounds[1]}, got ${value}`);
    }
  }
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
    errors.push(`repository ${JSON.stringify(repository)} must be an absolute path or a git URL (https://, ssh://, git://, file:// or user@host:path)`);
  }
  if (baseBranch !== undefined && (typeof baseBranch !== 'string' || !isValidBranchName(baseBranch))) {
    errors.push(`baseBranch ${JSON.stringify(baseBranch)} is not a valid branch name`);
  }
  if (typeof goal !== 'string' || goal.trim() === '') {
    errors.push('goal is required: say what to do in plain words');
  } else if (goal.length > MAX_GOAL_CHARS) {
    errors.push(`goal is ${goal.length} characters; the limit is ${MAX_GOAL_CHARS} (put long specifications in the repository and point to them)`);
  }
  if (checks !== undefined) {
    if (!Array.isArray(checks) || checks.some((c) => typeof c !== 'string' || c.trim() === '')) {
      errors.push('checks must be a list of non-empty command strings');
    }
  }
  if (model !== undefined) {
    if (!isPlainObject(model) || typeof model.name !== 'string' || model.name.trim() === '') {
      errors.push('model must be an object with a non-empty name');
    } else if (model.baseUrl !== undefined && (typeof model.baseUrl !== 'string' || !/^https?:\/\//.test(model.baseUrl))) {
      errors.push('model.baseUrl must be an http(s) URL');
    }
  }
  errors.push(...validatePolicy(policy));
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

/** Zero usage. */
export const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

/** Adds two usage reports. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
