/**
 * Model profiles: the built-in table (workflows/model-catalog.ts) with the
 * operator's DRYDOCK_MODELS file over it. A profile names the model, its wire
 * format, endpoint, key variable, context window, prices, reasoning effort,
 * parallel tool calls and extra request fields. Endpoints and keys come only
 * from here (the operator), never from a goal. The file is read and checked
 * once, when a worker loads its configuration, with one message per problem.
 */
import { readFileSync } from 'fs';
import {
  BUILTIN_MODEL_PROFILES,
  REASONING_EFFORTS,
  profilePrice,
  type ModelProfileSpec,
} from '../../workflows/model-catalog';
import { validatePrice } from '../../workflows/policy';
import type { ModelPrice } from '../../workflows/types';
import { canonicalBaseUrl, displayUrl } from './endpoints';

/** The variable naming the operator's profiles file. */
export const MODELS_FILE_VARIABLE = 'DRYDOCK_MODELS';

/** A profile as the agent worker holds it: its name (what goals pick) and where it came from. */
export interface ModelProfile extends ModelProfileSpec {
  name: string;
  /** `built-in`, `file` (only in the operator's file) or `built-in+file` (a built-in the file overrides). */
  source: 'built-in' | 'file' | 'built-in+file';
  /**
   * The operator's file set the profile's endpoint (baseUrl, api or apiKeyVariable): it is used as given.
   * Otherwise the worker's endpoint (OPENAI_BASE_URL, OPENAI_API_KEY) is used, and the profile's api only
   * when that endpoint is OpenAI's own (another endpoint speaks what DRYDOCK_MODEL_API says).
   */
  ownEndpoint: boolean;
}

/** A profile as `drydock models` shows it: what it costs and where it goes, never a key. */
export interface ModelProfileView {
  name: string;
  model: string;
  api: ModelProfileSpec['api'];
  /** The endpoint; `default` when the worker's OPENAI_BASE_URL (or OpenAI's) is used. */
  endpoint: string;
  /** The variable the key comes from (OPENAI_API_KEY when the profile names none); whether it is set. */
  apiKeyVariable: string;
  apiKeySet: boolean;
  contextTokens?: number;
  price?: ModelPrice;
  reasoningEffort?: string;
  parallelToolCalls?: boolean;
  extraBodyFields: string[];
  source: ModelProfile['source'];
}

const FIELDS = [
  'model',
  'api',
  'baseUrl',
  'apiKeyVariable',
  'contextTokens',
  'price',
  'reasoningEffort',
  'parallelToolCalls',
  'extraBody',
];

/** Request fields drydock sets itself; a profile's extraBody may not replace them. */
const RESERVED_BODY_FIELDS = ['model', 'messages', 'input', 'tools', 'tool_choice', 'stream', 'store'];

/** The built-in profiles, as profiles. */
export function builtinProfiles(): Map<string, ModelProfile> {
  return new Map(
    Object.entries(BUILTIN_MODEL_PROFILES).map(([name, spec]) => [
      name,
      { ...spec, name, source: 'built-in' as const, ownEndpoint: false },
    ]),
  );
}

/**
 * The built-in profiles with the DRYDOCK_MODELS file (a path; unset: none)
 * over them. Appends one message per problem of the file to `problems`.
 */
export function loadModelProfiles(file: string | undefined, problems: string[]): Map<string, ModelProfile> {
  const profiles = builtinProfiles();
  if (file === undefined) return profiles;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    problems.push(`${MODELS_FILE_VARIABLE}: cannot read ${file}: ${why}`);
    return profiles;
  }
  for (const profile of parseModelProfiles(parsed, problems, profiles)) profiles.set(profile.name, profile);
  return profiles;
}

/**
 * The profiles of a DRYDOCK_MODELS document: an object of profile name →
 * fields. A name the built-ins have overrides the fields it gives. One message
 * per problem goes to `problems`; only valid profiles come back.
 */
export function parseModelProfiles(
  document: unknown,
  problems: string[],
  builtins: Map<string, ModelProfile> = builtinProfiles(),
): ModelProfile[] {
  const where = MODELS_FILE_VARIABLE;
  if (!isPlainObject(document)) {
    problems.push(`${where}: the file must hold a JSON object of profile name → { model, api, baseUrl, … }`);
    return [];
  }
  const out: ModelProfile[] = [];
  for (const [name, fields] of Object.entries(document)) {
    const at = `${where}: profile ${JSON.stringify(name)}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/.test(name)) {
      problems.push(`${at}: a name is letters, digits and . _ : / - (at most 100)`);
      continue;
    }
    if (!isPlainObject(fields)) {
      problems.push(`${at} must be an object`);
      continue;
    }
    const before = problems.length;
    checkFields(fields, at, problems);
    if (problems.length > before) continue;
    const base = builtins.get(name);
    const spec = fields as Partial<ModelProfileSpec>;
    out.push({
      ...(base ?? { api: 'chat' as const }),
      model: spec.model ?? base?.model ?? name,
      ...spec,
      name,
      source: base ? 'built-in+file' : 'file',
      ownEndpoint: ['baseUrl', 'api', 'apiKeyVariable'].some((k) => k in fields),
    });
  }
  return out;
}

/** One message per bad field of one profile. */
function checkFields(f: Record<string, unknown>, at: string, problems: string[]): void {
  for (const key of Object.keys(f)) {
    if (!FIELDS.includes(key))
      problems.push(`${at}: unknown field ${JSON.stringify(key)} (known: ${FIELDS.join(', ')})`);
  }
  if (f.model !== undefined && (typeof f.model !== 'string' || f.model.trim() === '')) {
    problems.push(`${at}: model must be a non-empty string`);
  }
  if (f.api !== undefined && f.api !== 'chat' && f.api !== 'responses') {
    problems.push(`${at}: api must be "chat" or "responses", got ${JSON.stringify(f.api)}`);
  }
  if (f.baseUrl !== undefined) {
    if (typeof f.baseUrl !== 'string' || canonicalBaseUrl(f.baseUrl) === undefined) {
      problems.push(
        `${at}: baseUrl must be a plain http(s) URL without credentials, query or fragment, got ${typeof f.baseUrl === 'string' ? displayUrl(f.baseUrl) : JSON.stringify(f.baseUrl)}`,
      );
    }
  }
  if (
    f.apiKeyVariable !== undefined &&
    (typeof f.apiKeyVariable !== 'string' || !/^[A-Z_][A-Z0-9_]{0,127}$/.test(f.apiKeyVariable))
  ) {
    problems.push(`${at}: apiKeyVariable must name an environment variable (A-Z, 0-9, _), not hold a key`);
  }
  if (
    f.contextTokens !== undefined &&
    (typeof f.contextTokens !== 'number' || !Number.isInteger(f.contextTokens) || f.contextTokens < 1000)
  ) {
    problems.push(`${at}: contextTokens must be a whole number >= 1000`);
  }
  if (f.price !== undefined) {
    if (isPlainObject(f.price) && 'contextTokens' in f.price) {
      problems.push(`${at}: price.contextTokens is not a price field; give contextTokens beside price`);
    } else {
      problems.push(...validatePrice(f.price, `${at}: price`, true));
    }
  }
  if (f.reasoningEffort !== undefined && !REASONING_EFFORTS.includes(f.reasoningEffort as never)) {
    problems.push(
      `${at}: reasoningEffort must be one of ${REASONING_EFFORTS.join(', ')}, got ${JSON.stringify(f.reasoningEffort)}`,
    );
  }
  if (f.parallelToolCalls !== undefined && typeof f.parallelToolCalls !== 'boolean') {
    problems.push(`${at}: parallelToolCalls must be true or false`);
  }
  if (f.extraBody !== undefined) {
    if (!isPlainObject(f.extraBody)) problems.push(`${at}: extraBody must be an object of request fields`);
    else {
      const reserved = Object.keys(f.extraBody).filter((k) => RESERVED_BODY_FIELDS.includes(k));
      if (reserved.length > 0) problems.push(`${at}: extraBody may not set ${reserved.join(', ')} (drydock sets them)`);
    }
  }
}

/**
 * One message per profile of the operator's file whose key variable is unset
 * (checked when the agent worker starts: a goal must not find out mid-way).
 */
export function missingKeyProblems(
  profiles: Map<string, ModelProfile>,
  get: (name: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const p of profiles.values()) {
    if (p.source !== 'built-in' && p.apiKeyVariable !== undefined && get(p.apiKeyVariable) === undefined) {
      problems.push(
        `${MODELS_FILE_VARIABLE}: profile ${JSON.stringify(p.name)} takes its key from ${p.apiKeyVariable}, which is not set on the agent worker`,
      );
    }
  }
  return problems;
}

/** The key variables the profiles name, with the values the environment gives them (the worker redacts these). */
export function profileKeys(
  profiles: Map<string, ModelProfile>,
  get: (name: string) => string | undefined,
): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const p of profiles.values()) {
    const value = p.apiKeyVariable !== undefined ? get(p.apiKeyVariable) : undefined;
    if (p.apiKeyVariable !== undefined && value !== undefined) keys[p.apiKeyVariable] = value;
  }
  return keys;
}

/** Where a call for a profile goes and how: what the agent worker builds its model client from. */
export interface ProfileEndpoint {
  api: ModelProfileSpec['api'];
  /** Undefined: the SDK's default (OpenAI). */
  baseUrl?: string;
  apiKey?: string;
  /** Tells clients apart: one per endpoint, key and profile. */
  cacheKey: string;
}

/** The worker's own endpoint settings (OPENAI_BASE_URL, OPENAI_API_KEY, DRYDOCK_MODEL_API). */
export interface WorkerEndpoint {
  baseUrl?: string;
  apiKey?: string;
  api: ModelProfileSpec['api'];
}

/**
 * The endpoint of a profile (or of a plain model name, `profile` undefined):
 * the operator's file's when it set one, else the worker's. `goalBaseUrl` is
 * a goal's own base URL that the operator's list already allowed.
 */
export function endpointFor(
  profile: ModelProfile | undefined,
  worker: WorkerEndpoint,
  keys: Record<string, string>,
  goalBaseUrl?: string,
): ProfileEndpoint {
  const own = profile?.ownEndpoint === true;
  const baseUrl = goalBaseUrl ?? (own ? (profile.baseUrl ?? worker.baseUrl) : worker.baseUrl);
  const apiKey = own && profile.apiKeyVariable !== undefined ? keys[profile.apiKeyVariable] : worker.apiKey;
  const api = own ? profile.api : profile && worker.baseUrl === undefined ? profile.api : worker.api;
  const keyVariable = own ? (profile.apiKeyVariable ?? '') : '';
  return { api, baseUrl, apiKey, cacheKey: `${api} ${baseUrl ?? 'openai'} ${keyVariable} ${profile?.name ?? ''}` };
}

/** The price a profile charges, with its context window (undefined when unpriced or no profile). */
export function priceOfProfile(profile: ModelProfile | undefined): ModelPrice | undefined {
  return profile ? profilePrice(profile) : undefined;
}

/** What `drydock models` shows of a profile; `keySet` says whether its key variable has a value. */
export function profileView(profile: ModelProfile, keySet: (variable: string) => boolean): ModelProfileView {
  const apiKeyVariable = profile.apiKeyVariable ?? 'OPENAI_API_KEY';
  return {
    name: profile.name,
    model: profile.model,
    api: profile.api,
    endpoint: profile.baseUrl !== undefined ? displayUrl(profile.baseUrl) : 'default',
    apiKeyVariable,
    apiKeySet: keySet(apiKeyVariable),
    ...(profile.contextTokens !== undefined ? { contextTokens: profile.contextTokens } : {}),
    ...(profile.price ? { price: profile.price } : {}),
    ...(profile.reasoningEffort ? { reasoningEffort: profile.reasoningEffort } : {}),
    ...(profile.parallelToolCalls !== undefined ? { parallelToolCalls: profile.parallelToolCalls } : {}),
    extraBodyFields: Object.keys(profile.extraBody ?? {}),
    source: profile.source,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
