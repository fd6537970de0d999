/** The environment file's env as shell exports: `$NAME` refers to the command's own environment, nothing else expands. */
import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { envPrelude } from '../../activities/shared/shell-env';

/** What a bash that runs the prelude, then `command`, prints. */
function run(env: Record<string, string>, command: string, processEnv: Record<string, string> = {}): string {
  return execFileSync('bash', ['--norc', '--noprofile', '-c', envPrelude(env) + command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/bin:/bin', ...processEnv },
    encoding: 'utf8',
  });
}

test('$PATH and ${PATH} refer to the PATH the command starts with; later values see earlier ones', () => {
  expect(run({ PATH: '/workspace/.venv/bin:$PATH' }, 'printf %s "$PATH"')).toBe('/workspace/.venv/bin:/usr/bin:/bin');
  expect(run({ A: 'one', B: '${A}-two', C: 'x$Bx' }, 'printf "%s|%s|%s" "$A" "$B" "$C"')).toBe('one|one-two|x');
});

test('nothing else in a value is expanded or run: quotes, $(…), backticks, ~, globs and a lone $ stay literal', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shell-env-'));
  const value = `it's "$(touch ${dir}/pwned)" \`touch ${dir}/pwned2\` ~ * $ $1 end`;
  expect(run({ V: value }, 'printf %s "$V"', { HOME: '/home/x' })).toBe(value);
  expect(readdirSync(dir)).toEqual([]);
});

test('no env is no prelude', () => {
  expect(envPrelude({})).toBe('');
  expect(envPrelude(undefined)).toBe('');
});
