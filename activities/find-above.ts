/** Finds a project file from wherever the code runs (source folders or dist/). */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The absolute path of `relative` in the nearest folder above this file that has it, or undefined. */
export function findAbove(relative: string): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The project root: the nearest folder above this file with a package.json. */
export function projectRoot(): string {
  const file = findAbove('package.json');
  if (!file) throw new Error(`no package.json above ${__dirname}`);
  return path.dirname(file);
}
