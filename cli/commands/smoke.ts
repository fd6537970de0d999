/** `drydock smoke`: the command line of the sandbox smoke test. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { smoke } from '../smoke';
import type { Run } from './command-kit';

/** Adds `smoke [--json] [-- <argv>]`. */
export function addSmokeCommand(program: Command, run: Run): void {
  program
    .command('smoke')
    .description('run the sandboxSmoke workflow: one command in a fresh sandbox')
    .argument('[argv...]', 'the command to run (after --; default: uname -a and id)')
    .option('--json', 'print JSON')
    .action((argv: string[], o: { json?: boolean }) => run(() => smoke(loadClientConfig(), argv, o.json ?? false)))
    .addHelpText('after', '\nExamples:\n  $ drydock smoke\n  $ drydock smoke -- node --version\n');
}
