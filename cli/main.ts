/** The `drydock` command: a Temporal client for starting, watching and reading goals (commands: program.ts). */
import { CommanderError } from 'commander';
import { ConfigError } from '../activities/shared/env-settings';
import { UsageError } from './errors';
import { printError } from './output';
import { buildProgram } from './program';

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
    printError(`drydock: ${failureLine(err)}\n`);
    return 1;
  }
}

/** One line for a failure: the message alone for a user's mistake, `error: …` for anything else. */
function failureLine(err: unknown): string {
  if (err instanceof CommanderError) return err.message.replace(/^error: /, '').replace(/\n/g, ' ');
  const known = err instanceof UsageError || err instanceof ConfigError;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return known ? message : `error: ${message}`;
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
    process.exitCode = 1;
  },
);
