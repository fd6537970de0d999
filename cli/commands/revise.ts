/** `drydock revise`: the command line of addressing a pull request's review comments. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { start } from '../start';
import { collect, examples, singleRepo, type Run } from './command-kit';
import { addPolicyOptions, type PolicyFlags } from './policy-flags';

/** Options `revise` parses. */
interface ReviseFlags extends PolicyFlags {
  repo?: string[];
  goal?: string;
  check?: string[];
  id?: string;
  wait?: boolean;
  json?: boolean;
}

/** Adds `revise <owner/repo#pr> [--wait] [--check …]`. */
export function addReviseCommand(program: Command, run: Run): void {
  const command = program
    .command('revise')
    .description("address the PR's unresolved review comments on its branch")
    .argument('[pull request]', 'owner/repo#number or the pull request URL')
    .option('--repo <url>', 'the repository (default: the one the PR names)', collect)
    .option('--goal <text>', 'extra words for the goal')
    .option('--check <command>', 'a check the verify gate runs (repeatable; default: detected)', collect);
  addPolicyOptions(command)
    .option('--id <workflow id>', 'instead of the business key')
    .option('--wait', 'wait for the result and print it')
    .option('--json', 'print JSON')
    .action((pullRequest: string | undefined, o: ReviseFlags) =>
      run(() =>
        start(loadClientConfig(), {
          pullRequest: pullRequest ?? '',
          repo: singleRepo(o.repo),
          goal: o.goal,
          check: o.check,
          policy: o,
          id: o.id,
          wait: o.wait,
          json: o.json ?? false,
        }),
      ),
    );
  examples(command, ['drydock revise acme/app#12 --wait', 'drydock revise https://github.com/acme/app/pull/12']);
}
