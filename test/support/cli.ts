/** Runs the compiled `drydock` command as a user would, and captures what it printed. */
import { execFile } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';

const BIN = path.join(__dirname, '..', '..', 'bin', 'drydock');
const MAIN = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** What one CLI run printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `drydock <args>` with extra environment variables. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  if (!existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npm run build` (npm test does it)');
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
