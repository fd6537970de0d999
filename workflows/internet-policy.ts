/**
 * The agent phase's internet policy as plain data: `off` (the default: no
 * network but loopback and the services' internal network) or an allowlist of
 * domains and presets, optionally restricted to read methods. Pure functions
 * only (workflows validate a goal's policy with them; the sandbox worker's
 * egress proxy enforces the combined one). Where the goal and the repository
 * both give a policy, the safer wins: a request must be allowed by both.
 */

/** The presets an allowlist may name (their host names: activities/sandbox/egress-presets.ts). */
export const INTERNET_PRESETS = ['package-registries'] as const;

/** A preset's name. */
export type InternetPreset = (typeof INTERNET_PRESETS)[number];

/** The methods a restricted policy lets through. */
export const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/** The agent phase's internet, as the environment file or the goal input gives it. */
export type InternetPolicy =
  | { mode: 'off' }
  | {
      mode: 'allowlist';
      /** Exact host names (`registry.example.org`) or one leading wildcard (`*.example.org`: its subdomains, not itself). */
      domains?: string[];
      presets?: InternetPreset[];
      /** When set, plain-http requests may use only these methods (a subset of GET, HEAD, OPTIONS). */
      methods?: string[];
    };

/** The policy the egress proxy enforces: every list must allow a host (the safer of two policies). */
export interface EffectiveInternet {
  /** Each entry: the domains of one policy, presets expanded by the caller. */
  lists: Array<{ domains: string[]; presets: InternetPreset[] }>;
  /** Allowed methods for plain http; absent: any. */
  methods?: string[];
}

/** A DNS label: letters, digits and inner hyphens, at most 63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why an allowlist entry is not a domain (undefined: it is one). */
export function domainProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'string')
    return `${JSON.stringify(entry)} is not a domain (use a host name such as example.org)`;
  const text = entry.trim().toLowerCase();
  const bad = (why: string) => `${JSON.stringify(entry)} is not a domain: ${why}`;
  if (text === '') return bad('it is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(text)) return bad('write the host name alone, without a scheme');
  if (/[/:?#@\s]/.test(text)) return bad('write the host name alone, without a port, path or user');
  const host = text.startsWith('*.') ? text.slice(2) : text;
  if (host.includes('*')) return bad('a wildcard may only lead, as *.example.org');
  if (/^[0-9.]+$/.test(host) || host.startsWith('[')) return bad('an IP address is not allowed, name a domain');
  if (host.length > 253) return bad('it is longer than 253 characters');
  const labels = host.split('.');
  if (labels.length < 2) return bad('it needs at least two labels, such as example.org');
  if (!labels.every((l) => LABEL.test(l))) return bad('each label takes letters, digits and inner hyphens');
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return bad('its last label must not be numeric');
  return undefined;
}

/** One problem of a policy given as data: where in it (`['domains', 0]`) and what. */
export interface InternetProblem {
  path: Array<string | number>;
  message: string;
}

/** Every problem of a policy given as data (the environment file's or the goal input's `internet`). */
export function internetProblems(value: unknown): InternetProblem[] {
  if (value === 'off') return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [
      {
        path: [],
        message: 'must be "off" or { "mode": "allowlist", "domains": [...], "presets": [...], "methods": [...] }',
      },
    ];
  const v = value as Record<string, unknown>;
  const problems: InternetProblem[] = [];
  const add = (path: Array<string | number>, message: string) => problems.push({ path, message });
  for (const key of Object.keys(v))
    if (!['mode', 'domains', 'presets', 'methods'].includes(key))
      add([], `unknown key ${JSON.stringify(key)} (known keys: mode, domains, presets, methods)`);
  if (v.mode !== 'off' && v.mode !== 'allowlist') add(['mode'], 'must be "off" or "allowlist"');
  if (v.domains !== undefined) {
    if (!Array.isArray(v.domains)) add(['domains'], 'must be a list of domains');
    else
      v.domains.forEach((d, i) => {
        const problem = domainProblem(d);
        if (problem) add(['domains', i], problem);
      });
  }
  if (v.presets !== undefined) {
    if (!Array.isArray(v.presets)) add(['presets'], 'must be a list of preset names');
    else
      v.presets.forEach((p, i) => {
        if (!(INTERNET_PRESETS as readonly unknown[]).includes(p))
          add(['presets', i], `${JSON.stringify(p)} is not a preset (known: ${INTERNET_PRESETS.join(', ')})`);
      });
  }
  if (v.methods !== undefined) {
    if (!Array.isArray(v.methods) || v.methods.length === 0)
      add(['methods'], 'must be a non-empty list of GET, HEAD, OPTIONS');
    else
      v.methods.forEach((m, i) => {
        if (!(READ_METHODS as readonly unknown[]).includes(m))
          add(['methods', i], `${JSON.stringify(m)} is not one of ${READ_METHODS.join(', ')}`);
      });
  }
  return problems;
}

/** The problems as lines, each naming its place under `where` (`internet.domains[0]: …`). */
export function internetProblemLines(value: unknown, where: string): string[] {
  return internetProblems(value).map(
    (p) => `${where}${p.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}: ${p.message}`,
  );
}

/** A valid policy given as data, normalised (`"off"` → `{ mode: 'off' }`, domains lower-case). */
export function normalizeInternet(value: unknown): InternetPolicy {
  if (value === 'off' || (value as { mode?: unknown }).mode === 'off') return { mode: 'off' };
  const v = value as { domains?: string[]; presets?: InternetPreset[]; methods?: string[] };
  return {
    mode: 'allowlist',
    domains: (v.domains ?? []).map((d) => d.trim().toLowerCase()),
    presets: v.presets ?? [],
    ...(v.methods ? { methods: [...new Set(v.methods)] } : {}),
  };
}

/**
 * The policy the agent phase runs under: undefined (off) when either says
 * off or neither gives one; otherwise every given allowlist must allow a
 * host, and the methods are restricted when either restricts them.
 */
export function combineInternet(
  repository: InternetPolicy | undefined,
  goal: InternetPolicy | undefined,
): EffectiveInternet | undefined {
  const given = [repository, goal].filter((p): p is InternetPolicy => p !== undefined);
  if (given.length === 0 || given.some((p) => p.mode === 'off')) return undefined;
  const lists: EffectiveInternet['lists'] = [];
  let methods: string[] | undefined;
  for (const p of given) {
    if (p.mode !== 'allowlist') continue;
    lists.push({ domains: p.domains ?? [], presets: p.presets ?? [] });
    if (p.methods) methods = methods ? methods.filter((m) => p.methods!.includes(m)) : [...p.methods];
  }
  return { lists, ...(methods ? { methods } : {}) };
}

/** True when a host name matches an entry (`example.org` exactly; `*.example.org`: any subdomain). */
export function domainMatches(host: string, entry: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (entry.startsWith('*.')) return h.endsWith(entry.slice(1)) && h.length > entry.length - 1;
  return h === entry;
}
