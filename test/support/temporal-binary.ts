/** Finds the Temporal CLI that scripts/setup installed (or one on PATH). */
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Path of the Temporal CLI binary; throws with the fix when there is none. */
export function temporalBinary(): string {
  const explicit = process.env.DRYDOCK_TEMPORAL_BIN;
  if (explicit && existsSync(explicit)) return explicit;
  try {
    return execFileSync('bash', ['-c', 'command -v temporal'], { encoding: 'utf8' }).trim();
  } catch {
    // not on PATH: look in the cache below
  }
  const cache =
    process.env.DRYDOCK_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'drydock');
  for (const v of ['1.5.1', '1.5.0', '1.4.1']) {
    const p = path.join(cache, `temporal-${v}`, 'temporal');
    if (existsSync(p)) return p;
  }
  throw new Error('no Temporal CLI found: run `npm run setup` first');
}
