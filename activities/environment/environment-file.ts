/**
 * `.drydock/environment.json`, the repository's contract with drydock: its
 * schema (strict: an unknown key is refused, with a suggestion when it is
 * close to a known one) and its parsing, which reports every problem at once,
 * one line each, naming the file and the key path.
 */
import { z } from 'zod';
import { failure } from '../../workflows/failures';
import { IMAGE_NAME } from '../sandbox/sandbox-policy';
import type { ServiceSpec } from '../sandbox/services';
import { internetProblems, normalizeInternet, type InternetPolicy } from '../../workflows/internet-policy';

/** The repository's environment file. */
export const ENVIRONMENT_FILE = '.drydock/environment.json';

/** What drydock takes from the environment file (absent file: no setup, no checks, nothing else). */
export interface EnvironmentFile {
  /** The setup script (a list is joined with newlines). */
  setup?: string;
  /** Runs instead of setup when a goal starts from a cached environment (a list is joined with newlines). */
  maintenance?: string;
  /** Commands that verify a change; they override AGENTS.md and detection. */
  checks?: string[];
  /** Variables of the agent phase's commands and of the checks, in the file's order (see activities/shared/shell-env.ts). */
  env: Record<string, string>;
  services: ServiceSpec[];
  /** Toolchain versions: `node` is a major (`"22"`) or an exact version (`"22.11.0"`). */
  toolchains: { node?: string };
  /** The agent phase's internet (absent: off); see workflows/internet-policy.ts. */
  internet?: InternetPolicy;
}

/** The environment file as read from a commit: valid, or every problem found. */
export type EnvironmentFileReading = { ok: true; file: EnvironmentFile } | { ok: false; problems: string[] };

/** A variable name a shell accepts. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the sandbox's own commands rely on; `env` may not set them. */
const OWNED_NAMES = new Set(['HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'SHLVL', 'BASH_ENV', 'ENV']);
/** A Node version as `toolchains.node` takes it: a major or an exact x.y.z. */
const NODE_VERSION = /^(\d{1,3}|\d{1,3}\.\d{1,4}\.\d{1,4})$/;

const command = z.string({ error: 'must be a command string' }).refine((s) => s.trim() !== '', 'must not be empty');

const service = z.strictObject(
  {
    name: z
      .string({ error: 'must be a lower-case host name' })
      .regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a lower-case host name (a-z, 0-9, -; at most 31 characters)'),
    command,
    image: z.string({ error: 'must be an image name' }).regex(IMAGE_NAME, 'is not an image name').optional(),
    ready: z.string({ error: 'must be a command string' }).optional(),
  },
  { error: 'must be an object { name, command, image?, ready? }' },
);

const nodeVersion = z
  .union([z.string(), z.number()], { error: 'must be a Node version string' })
  .transform((v, ctx) => {
    const text = String(v);
    if (!NODE_VERSION.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(v)} is not a Node version (use a major such as 22, or an exact version such as 22.11.0)`,
      });
      return z.NEVER;
    }
    return text;
  });

/** The schema of the file. */
export const environmentFileSchema = z.strictObject(
  {
    setup: z
      .union([z.string(), z.array(z.string())], { error: 'must be a command string or a list of command strings' })
      .optional(),
    maintenance: z
      .union([z.string(), z.array(z.string())], { error: 'must be a command string or a list of command strings' })
      .optional(),
    checks: z
      .array(command, { error: 'must be a list of command strings' })
      .min(1, 'must name at least one command (leave it out to let drydock find the checks)')
      .optional(),
    env: z
      .record(z.string(), z.unknown(), { error: 'must be an object of NAME: "value"' })
      .superRefine((env, ctx) => {
        // Every entry checked here, so a bad name and a bad value are both reported.
        for (const [name, value] of Object.entries(env)) {
          if (!VARIABLE_NAME.test(name))
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `${JSON.stringify(name)} is not a variable name (letters, digits and _, not starting with a digit)`,
            });
          else if (OWNED_NAMES.has(name) || name.startsWith('DRYDOCK_'))
            ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by drydock and cannot be changed` });
          if (typeof value !== 'string')
            ctx.addIssue({ code: 'custom', path: [name], message: `must be a string, got ${JSON.stringify(value)}` });
          else if (value.includes('\0'))
            ctx.addIssue({ code: 'custom', path: [name], message: 'must not contain a NUL character' });
        }
      })
      .transform((env) => env as Record<string, string>)
      .optional(),
    services: z
      .array(service, { error: 'must be a list of { name, command, image?, ready? }' })
      .max(8, 'may declare at most 8 services')
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((s, i) => {
          if (seen.has(s.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${s.name} is declared twice` });
          seen.add(s.name);
        });
      })
      .optional(),
    toolchains: z
      .strictObject({ node: nodeVersion.optional() }, { error: 'must be an object such as { "node": "22" }' })
      .optional(),
    internet: z
      .unknown()
      .superRefine((value, ctx) => {
        for (const p of internetProblems(value)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
      })
      .transform(normalizeInternet)
      .optional(),
  },
  { error: 'must be a JSON object' },
);

/** Reads the file's text (null: the repository has none); never throws. */
export function readEnvironmentFile(text: string | null): EnvironmentFileReading {
  if (text === null) return { ok: true, file: { env: {}, services: [], toolchains: {} } };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`${ENVIRONMENT_FILE} is not valid JSON: ${(err as Error).message}`] };
  }
  const parsed = environmentFileSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(problemLines) };
  const v = parsed.data;
  return {
    ok: true,
    file: {
      setup: Array.isArray(v.setup) ? v.setup.join('\n') : v.setup,
      ...(v.maintenance === undefined
        ? {}
        : { maintenance: Array.isArray(v.maintenance) ? v.maintenance.join('\n') : v.maintenance }),
      checks: v.checks,
      env: v.env ?? {},
      services: v.services ?? [],
      toolchains: v.toolchains?.node === undefined ? {} : { node: v.toolchains.node },
      ...(v.internet ? { internet: v.internet } : {}),
    },
  };
}

/** Parses the file's text; an invalid file is a hopeless InvalidEnvironment failure listing every problem. */
export function parseEnvironmentFile(text: string | null): EnvironmentFile {
  const reading = readEnvironmentFile(text);
  if (!reading.ok) throw failure('InvalidEnvironment', reading.problems.join('\n'));
  return reading.file;
}

/** The keys an object at a path of the file knows, for "did you mean". */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return Object.keys(environmentFileSchema.shape);
  if (path.length === 1 && path[0] === 'toolchains') return ['node'];
  if (path.length === 2 && path[0] === 'services') return Object.keys(service.shape);
  return [];
}

/** One issue as the lines a person reads: `<file>: <key path>: <problem>`. */
function problemLines(issue: z.core.$ZodIssue): string[] {
  const where = pathText(issue.path);
  const prefix = where ? `${ENVIRONMENT_FILE}: ${where}: ` : `${ENVIRONMENT_FILE}: `;
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const close = closest(key, known);
      return `${prefix}unknown key ${JSON.stringify(key)} (${close ? `did you mean ${JSON.stringify(close)}?` : `known keys: ${known.join(', ')}`})`;
    });
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return [`${prefix}missing (${issue.message})`];
  const got =
    (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input !== undefined
      ? `, got ${shortJson(issue.input)}`
      : '';
  return [`${prefix}${issue.message}${got}`];
}

/** A value as short JSON for a message. */
function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `services[0].name`, `toolchains.node`, `env.PATH`. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The known key closest to a misspelt one (case-insensitive edit distance of at most 2, or a case mismatch). */
function closest(key: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.min(2, Math.max(1, Math.floor(name.length / 3))) && (!best || distance < best.distance))
      best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
