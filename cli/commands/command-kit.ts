/** Small pieces every command group uses: the exit-code runner, option parsers that check values at the edge, help examples. */
import { InvalidArgumentError, type Command } from 'commander';
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

/** A parser of a whole number ≥ min; commander quotes the flag and the input with the message. */
export function wholeNumber(min = 1): (value: string) => number {
  return (value) => {
    if (!/^\s*[+-]?\d+\s*$/.test(value)) throw new InvalidArgumentError(`a whole number is expected`);
    const n = Number(value);
    if (n < min) throw new InvalidArgumentError(`it must be ${min} or more`);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('it is too large');
    return n;
  };
}

/** A parser of a positive decimal amount (dollars). */
export function positiveAmount(value: string): number {
  if (!/^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(value))
    throw new InvalidArgumentError('a number is expected, e.g. 2.50');
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('it must be more than 0');
  return n;
}

/** A parser of a duration: seconds (`90`) or with a unit (`90s`, `30m`, `2h`, `1d`); returns seconds. */
export function durationSeconds(value: string): number {
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('a duration is expected: seconds, or 90s, 30m, 2h, 1d');
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  if (n <= 0) throw new InvalidArgumentError('it must be more than 0');
  return n;
}

/** A parser that accepts one of the choices and names them all otherwise. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`it must be one of ${choices.join(', ')}`);
  };
}

/** A goal or schedule id from the command line: present and not blank. */
export function requireId(
  id: string | undefined,
  what = 'the goal id (the workflow id `drydock start` printed)',
): string {
  if (id === undefined) throw new UsageError(`give ${what}`);
  if (id.trim() === '') throw new UsageError(`the id is empty; give ${what}`);
  return id;
}

/** Adds an "Examples:" section to a command's --help. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
