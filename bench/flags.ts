/** `npm run bench`'s command line: which rows to run, on which Temporal servers, with which workers. */
import { parseArgs } from 'node:util';

/** The Temporal servers the scale rows can run on: the local dev server, the production-shaped stack. */
export const BENCH_SERVERS = ['dev', 'prod'] as const;

/** One of BENCH_SERVERS. */
export type BenchServer = (typeof BENCH_SERVERS)[number];

/** The bench's flags, parsed. */
export interface BenchFlags {
  scale: number[];
  /** Step goals per pass; 0 skips the step, sandbox-ready and demo rows (only the scale rows run). */
  goals: number;
  steps: number;
  raw: number;
  pool: number;
  /** DRYDOCK_SANDBOX_RUNNER for drydock's workers. */
  runner: 'on' | 'off';
  /** DRYDOCK_SANDBOX_RUNTIME per pass (--runtime runc,runsc); empty: one pass on the engine's default. */
  runtimes: string[];
  /** Where the scale rows run, in this order (--server dev,prod); the step rows run on the first. */
  servers: BenchServer[];
  label: string;
  out?: string;
}

const USAGE =
  'flags: --scale 10,50,100|none --goals N --steps N --raw N --pool K --runner on|off --runtime runc,runsc --server dev,prod --label NAME --out FILE';

/** Parses the bench's argv; throws one line naming the flag and what it takes. */
export function parseBenchFlags(argv: string[]): BenchFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        scale: { type: 'string' },
        goals: { type: 'string' },
        steps: { type: 'string' },
        raw: { type: 'string' },
        pool: { type: 'string' },
        runner: { type: 'string' },
        runtime: { type: 'string' },
        server: { type: 'string' },
        label: { type: 'string' },
        out: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message.split('\n')[0]}; ${USAGE}`);
  }
  const scale =
    values.scale === undefined
      ? [10, 50, 100]
      : values.scale === '' || values.scale === 'none'
        ? []
        : values.scale.split(',').map(Number);
  if (scale.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--scale takes positive integers, e.g. 10,50,100 (or none); got ${JSON.stringify(values.scale)}`);
  const count = (flag: string, v: string | undefined, fallback: number, min: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min)
      throw new Error(`--${flag} takes a whole number ≥ ${min}; got ${JSON.stringify(v)}`);
    return n;
  };
  const runner = values.runner ?? 'on';
  if (runner !== 'on' && runner !== 'off') throw new Error(`--runner takes on or off; got ${JSON.stringify(runner)}`);
  const runtimes = values.runtime === undefined ? [] : values.runtime.split(',').map((r) => r.trim());
  if (runtimes.some((r) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(r)))
    throw new Error(
      `--runtime takes runtime names the engine lists, e.g. runc,runsc; got ${JSON.stringify(values.runtime)}`,
    );
  const servers = (values.server ?? 'dev').split(',').map((s) => s.trim());
  const unknown = servers.filter((s) => !(BENCH_SERVERS as readonly string[]).includes(s));
  if (unknown.length > 0 || servers.length === 0 || new Set(servers).size !== servers.length)
    throw new Error(
      `--server takes dev, prod or dev,prod (each once): dev is the Temporal dev server (or TEMPORAL_ADDRESS), prod the production-shaped stack of scripts/prod-stack; got ${JSON.stringify(values.server)}`,
    );
  const goals = count('goals', values.goals, 5, 0);
  if (goals === 0 && scale.length === 0)
    throw new Error('--goals 0 with --scale none leaves nothing to run: give --scale N or --goals N');
  if (goals === 0 && runtimes.length > 1)
    throw new Error('--runtime compares the step rows, which --goals 0 skips: give --goals N');
  return {
    scale,
    goals,
    steps: count('steps', values.steps, 10, 0),
    raw: count('raw', values.raw, 10, 1),
    pool: count('pool', values.pool, 2, 0),
    runner,
    runtimes,
    servers: servers as BenchServer[],
    label: values.label ?? 'run',
    out: values.out,
  };
}
