/** The dev server's extra flags, as scripts/dev-server passes them (scripts/dev-server.dynamic-config). */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const CONFIG = path.join('scripts', 'dev-server.dynamic-config');

/** `--dynamic-config-value key=value` for every line of scripts/dev-server.dynamic-config. */
export function devServerDynamicConfigArgs(): string[] {
  let dir = __dirname;
  while (!existsSync(path.join(dir, CONFIG))) {
    if (path.dirname(dir) === dir) throw new Error(`${CONFIG} not found above ${__dirname}`);
    dir = path.dirname(dir);
  }
  return readFileSync(path.join(dir, CONFIG), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .flatMap((kv) => ['--dynamic-config-value', kv]);
}
