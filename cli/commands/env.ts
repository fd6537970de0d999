/** `drydock env list | show | prune`: the command lines of a sandbox host's environment cache. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { UsageError } from '../errors';
import { envList, envPrune, envShow } from '../env';
import type { Run } from './command-kit';

const USAGE = 'usage: drydock env list | drydock env show <key> | drydock env prune [--repo <repository>]';

/** Adds `env list`, `env show <key>` and `env prune [--repo]`. */
export function addEnvCommands(program: Command, run: Run): void {
  const env = program
    .command('env')
    .description("a sandbox host's cached environments (post-setup snapshots)")
    .usage('list|show|prune [options]')
    .argument('[command...]')
    .action(() => run(() => Promise.reject(new UsageError(USAGE))));
  env
    .command('list')
    .description('the cached environments, most recently used first')
    .option('--repo <repository>', "only this repository's")
    .option('--host <host>', 'the sandbox host (any one when absent)')
    .option('--json', 'print JSON')
    .action((o: { repo?: string; host?: string; json?: boolean }) =>
      run(() => envList(loadClientConfig(), { repo: o.repo, host: o.host, json: o.json ?? false })),
    )
    .addHelpText('after', '\nExamples:\n  $ drydock env list\n  $ drydock env list --repo /srv/git/app --json\n');
  env
    .command('show')
    .description('one cached environment, by key or its first characters')
    .argument('[key]', 'the key (`drydock env list`)')
    .option('--host <host>', 'the sandbox host (any one when absent)')
    .option('--json', 'print JSON')
    .action((key: string | undefined, o: { host?: string; json?: boolean }) =>
      run(() => envShow(loadClientConfig(), key, { host: o.host, json: o.json ?? false })),
    )
    .addHelpText('after', '\nExamples:\n  $ drydock env show 3f2a9c1b\n');
  env
    .command('prune')
    .description("removes a repository's cached environments (all of them without --repo)")
    .option('--repo <repository>', "only this repository's")
    .option('--host <host>', 'the sandbox host (any one when absent)')
    .option('--json', 'print JSON')
    .action((o: { repo?: string; host?: string; json?: boolean }) =>
      run(() => envPrune(loadClientConfig(), { repo: o.repo, host: o.host, json: o.json ?? false })),
    )
    .addHelpText('after', '\nExamples:\n  $ drydock env prune --repo /srv/git/app\n  $ drydock env prune\n');
}
