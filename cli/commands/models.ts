/** `drydock models`: the model profiles the agent worker offers. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { models } from '../models';
import type { Run } from './command-kit';

/** Adds `models [--json]`. */
export function addModelsCommand(program: Command, run: Run): void {
  program
    .command('models')
    .description('the model profiles goals pick by name (read on the agent worker)')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => run(() => models(loadClientConfig(), o.json ?? false)))
    .addHelpText('after', '\nExamples:\n  $ drydock models\n  $ drydock models --json\n');
}
