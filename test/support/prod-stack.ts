/**
 * The production-shaped stack (scripts/prod-stack) for the e2e suites: runs the
 * script, reads the profile it prints, and connects a client with it.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../workers/config';

const ROOT = path.join(__dirname, '..', '..');

/** What one run of scripts/prod-stack printed and its exit code. */
export interface ProdStackRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/prod-stack <args>` (the first `up` builds the server: up to 30 minutes). */
export function prodStack(...args: string[]): Promise<ProdStackRun> {
  return new Promise((resolve) =>
    execFile(
      'bash',
      [path.join(ROOT, 'scripts', 'prod-stack'), ...args],
      { timeout: 30 * 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** The variables `up` (or `env`) printed: TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE. */
export function profileOf(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => {
        const at = l.indexOf('=');
        return [l.slice(0, at), l.slice(at + 1)] as [string, string];
      }),
  );
}

/** A client of the stack, connected with its profile (mTLS). */
export async function connectProdStack(
  profile: Record<string, string>,
): Promise<{ client: Client; connection: Connection; close: () => Promise<void> }> {
  const config = loadConfig({ ...profile, HOME: process.env.HOME, OPENAI_API_KEY: 'unused' });
  const connection = await Connection.connect(config.temporal.connectOptions);
  return {
    client: new Client({ connection, namespace: config.namespace }),
    connection,
    close: () => connection.close(),
  };
}
