/** The dev server's extra flags, as scripts/dev-server passes them (scripts/dev-server.dynamic-config). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findAbove } from '../../activities/find-above';

const CONFIG = path.join('scripts', 'dev-server.dynamic-config');

/** `--dynamic-config-value key=value` for every line of scripts/dev-server.dynamic-config. */
export function devServerDynamicConfigArgs(): string[] {
  const file = findAbove(CONFIG);
  if (!file) throw new Error(`${CONFIG} not found above ${__dirname}`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .flatMap((kv) => ['--dynamic-config-value', kv]);
}
