/**
 * The production-shaped stack for the bench: `scripts/prod-stack` brings it up
 * when it is down (honouring DRYDOCK_PROD_*), and its `env` names the
 * temporal.toml profile (mTLS) the bench and its workers connect with.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { projectRoot } from '../activities/find-above';

const SCRIPT = path.join(projectRoot(), 'scripts', 'prod-stack');

/** The stack as the bench uses it. */
export interface BenchProdStack {
  /** TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE of the stack's profile. */
  vars: Record<string, string>;
  /** Whether this bench brought it up (and so brings it down). */
  startedHere: boolean;
  /** Brings the stack down when this bench brought it up; leaves a stack it found running. */
  release(): void;
}

/** `KEY=VALUE` lines (what `scripts/prod-stack env` prints) as variables; other lines are an error naming them. */
export function parseStackEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '') continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`scripts/prod-stack env printed a line that is not KEY=VALUE: ${JSON.stringify(line)}`);
    vars[m[1]!] = m[2]!;
  }
  if (!vars.TEMPORAL_CONFIG_FILE || !vars.TEMPORAL_PROFILE)
    throw new Error(
      `scripts/prod-stack env did not name TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE (got ${Object.keys(vars).join(', ') || 'nothing'})`,
    );
  return vars;
}

function stack(command: string, quiet: boolean): string {
  return execFileSync('bash', [SCRIPT, command], {
    encoding: 'utf8',
    // Its progress goes to the bench's stderr; `env` prints on stdout.
    stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'],
  });
}

/** Brings the stack up if `scripts/prod-stack status` says it is down, and reads its profile. */
export function ensureProdStack(log: (line: string) => void): BenchProdStack {
  let running = true;
  try {
    stack('status', true);
  } catch {
    running = false;
  }
  if (!running) {
    log('bringing the production-shaped stack up (scripts/prod-stack up)');
    try {
      process.stderr.write(stack('up', false));
    } catch (err) {
      throw new Error(`scripts/prod-stack up failed (see above): ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const vars = parseStackEnv(stack('env', false));
  return {
    vars,
    startedHere: !running,
    release() {
      if (running) return;
      log('bringing the production-shaped stack down (scripts/prod-stack down)');
      process.stderr.write(stack('down', false));
    },
  };
}
