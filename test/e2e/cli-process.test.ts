/**
 * The CLI as a process a person pipes and scripts: `--version` answers, and a
 * reader that stops early (`drydock … | head -1`) is not an error with a stack.
 */
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { runCli } from '../support/cli';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

test('--version prints the package version and exits 0', async () => {
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const run = await runCli(['--version']);
  expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
});

test('a reader that closes early ends the CLI quietly (EPIPE), with no stack', async () => {
  // Many lines of output into a pipe whose reader is already gone.
  const child = spawn(process.execPath, [MAIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
  expect(code).toBe(0);
});
