/** Small pieces every command group uses: the exit-code runner and option parsers that behave as the CLI always has. */
import { UsageError } from '../errors';

/** Runs a command's work and records its exit code (main sets process.exitCode from it). */
export type Run = (work: () => Promise<number>) => Promise<void>;

/** Collects a repeatable option's values in order (`--check a --check b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The one --repo a command takes; a clear error when there are several. */
export function singleRepo(repos: string[] | undefined): string | undefined {
  if (repos && repos.length > 1) throw new UsageError('give one --repo (only `schedule create` takes several)');
  return repos?.[0];
}

/** A numeric option, or undefined when absent (the workflow validates the value). */
export function numberOption(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}
