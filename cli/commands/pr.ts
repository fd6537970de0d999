/** `drydock pr list` and `pr show`: the command lines that read PR records (through the agent worker). */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { UsageError } from '../errors';
import { prList, prShow } from '../pr';
import type { Run } from './command-kit';

const USAGE = 'usage: drydock pr list | drydock pr show <id>';

/** Adds `pr list [--json]` and `pr show <id> [--json]`. */
export function addPrCommands(program: Command, run: Run): void {
  const pr = program
    .command('pr')
    .description('the local pull request records')
    .usage('list|show [options]')
    .argument('[command...]')
    // A missing or unknown subcommand says the usage in one line.
    .action(() => run(() => Promise.reject(new UsageError(USAGE))));
  pr.command('list')
    .description('the local pull request records, newest first')
    .option('--json', 'print JSON (without the bodies)')
    .action((o: { json?: boolean }) => run(() => prList(loadClientConfig(), o.json ?? false)))
    .addHelpText('after', '\nExamples:\n  $ drydock pr list\n  $ drydock pr list --json | jq -r .[0].id\n');
  pr.command('show')
    .description('one pull request record, by PR id, branch or goal id')
    .argument('[id]', 'the PR id (`drydock pr list`), its branch, or the goal id')
    .option('--diff', 'the change itself after the record')
    .option('--json', 'print the record as JSON')
    .action((id: string | undefined, o: { json?: boolean; diff?: boolean }) =>
      run(() => prShow(loadClientConfig(), id, o.json ?? false, o.diff ?? false)),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ drydock pr show 1a2b3c4d --diff\n  $ drydock pr show goal-app-1a2b3c4d --json\n',
    );
}
