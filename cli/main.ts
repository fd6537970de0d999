/** The `drydock` command: a Temporal client for starting, watching and reading goals (commands: program.ts). */
import { CommanderError } from 'commander';
import { ConfigError } from '../activities/shared/env-settings';
import { explainDatabaseOutage } from '../activities/shared/temporal-connect-error';
import { connectedAddress } from './connect';
import { EXIT, RefusedError, UnreachableError, UsageError } from './errors';
import { printError } from './output';
import { buildProgram, otherCommandsWithOption } from './program';

/** Parses argv, runs the command, and returns its exit code; failures print one line on stderr. */
async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram(async (work) => {
    code = await work();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    // --help and help: commander's way of ending after printing.
    if (err instanceof CommanderError && err.exitCode === 0) return 0;
    printError(`drydock: ${failureLine(err, program)}\n`);
    return exitCodeOf(err);
  }
}

/** The exit code of a failure (README, "Exit codes"). */
function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError || err instanceof UsageError || err instanceof ConfigError) return EXIT.usage;
  if (err instanceof UnreachableError || databaseOutage(err)) return EXIT.unreachable;
  if (err instanceof RefusedError) return EXIT.refused;
  return EXIT.failed;
}

/** One line for a failure: the message alone for a known kind, `error: …` for anything else. */
function failureLine(err: unknown, program?: ReturnType<typeof buildProgram>): string {
  if (err instanceof CommanderError) {
    const line = err.message.replace(/^error: /, '').replace(/\n/g, ' ');
    // A flag of another command: say whose it is.
    const flag = err.code === 'commander.unknownOption' ? /'(--?[\w-]+)'/.exec(line)?.[1] : undefined;
    // A flag another command has exactly says more than commander's near miss (`--interval` is not `--internet`).
    const owners = flag && program ? otherCommandsWithOption(program, flag) : [];
    return owners.length > 0
      ? `${line.replace(/ \(Did you mean [^)]*\)/, '')} (it is an option of ${owners.map((o) => `\`${o}\``).join(', ')})`
      : line;
  }
  const outage = databaseOutage(err);
  if (outage) return outage;
  const known =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    err instanceof UnreachableError ||
    err instanceof RefusedError;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return known ? message : `error: ${message}`;
}

/** The line for a call the server failed because its database is down, else undefined. */
function databaseOutage(err: unknown): string | undefined {
  return explainDatabaseOutage(err, { address: connectedAddress() ?? 'the configured address' });
}

// `drydock pr list | head -3`: a reader that stops early is not a failure of drydock's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    printError(`drydock: ${failureLine(err)}\n`);
    process.exitCode = exitCodeOf(err);
  },
);
