/** Running a goal's checks in a sandbox: one `bash -lc` per check, logs to the store, tails to history. */
import type { CheckResult } from '../../workflows/types';
import type { ArtifactStore } from '../store/artifact-store';
import type { Sandbox } from '../sandbox/sandbox';
import { trimOutput } from '../sandbox/trim-output';
import { stripHiddenUnicodeWithNote } from '../security/hidden-unicode';
import { envPrelude } from '../shared/shell-env';

/** Bytes of a check's log kept in history and in the PR body. */
const CHECK_LOG_TAIL_BYTES = 3000;
/** Bytes of a check's output kept (head and tail). */
const CHECK_OUTPUT_BYTES = 512 * 1024;

/** What runCheckCommands needs. */
export interface CheckCommandsOptions {
  checks: string[];
  timeoutSeconds?: number;
  /** Store key of check i's log: `${logPrefix}-${i}.log`. */
  logPrefix: string;
  /** The environment file's `env`, exported before each check. */
  env?: Record<string, string>;
  /** Called before each check (a heartbeat). */
  onCheck?: (index: number) => void;
}

/** Runs the checks one after another; a failing check is a result, not an exception. */
export async function runCheckCommands(
  sandbox: Sandbox,
  containerId: string,
  store: ArtifactStore,
  o: CheckCommandsOptions,
): Promise<CheckResult[]> {
  const timeoutSeconds = o.timeoutSeconds ?? 600;
  const results: CheckResult[] = [];
  const prelude = envPrelude(o.env);
  for (const [i, command] of o.checks.entries()) {
    o.onCheck?.(i);
    const r = await sandbox.exec(containerId, ['bash', '-lc', prelude + command], {
      timeoutMs: timeoutSeconds * 1000,
      maxOutputBytes: CHECK_OUTPUT_BYTES,
    });
    const log = `$ ${command}\n${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}${r.timedOut ? `\n[timed out after ${timeoutSeconds} s]` : ''}\n[exit ${r.exitCode}]\n`;
    const logRef = `${o.logPrefix}-${i}.log`;
    await store.put(logRef, log);
    results.push({
      command,
      exitCode: r.exitCode,
      passed: r.exitCode === 0 && !r.timedOut,
      durationMs: r.durationMs,
      logTail: trimOutput(Buffer.from(log), CHECK_LOG_TAIL_BYTES),
      logRef,
    });
  }
  return results;
}

/** The finish call's reply: whether the checks passed, and the failing logs' tails. */
export function checksReply(results: CheckResult[], cleanRoom: boolean): string {
  const allPassed = results.every((r) => r.passed);
  const where = cleanRoom
    ? ' in a clean sandbox (the base commit, the setup, and only your change as drydock publishes it)'
    : '';
  const text = [
    allPassed
      ? `All checks passed${where}.`
      : `The checks failed${where}, so the goal is not met yet. Fix the problem, then call finish again.`,
    ...results.map(
      (r) => `\n$ ${r.command} → exit ${r.exitCode} (${r.passed ? 'passed' : 'failed'})\n${r.passed ? '' : r.logTail}`,
    ),
  ].join('\n');
  // Check output is repository text: what a reviewer cannot see never reaches the model.
  return stripHiddenUnicodeWithNote(text);
}
