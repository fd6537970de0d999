/** `drydock status`, `result`, `watch` and `list`: the command lines that read goals. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { result, status } from '../goals';
import { list } from '../list';
import { watch } from '../watch';
import { collect, singleRepo, type Run } from './command-kit';

const GOAL_ID = 'the workflow id `drydock start` printed';

/** Adds status, result, watch and list. */
export function addGoalCommands(program: Command, run: Run): void {
  program
    .command('status')
    .description('phase, iteration, tokens, last tool, checks')
    .argument('[id]', GOAL_ID)
    .option('--json', 'print the status query as JSON')
    .action((id: string | undefined, o: { json?: boolean }) =>
      run(() => status(loadClientConfig(), id ?? '', o.json ?? false)),
    );

  program
    .command('result')
    .description("wait for and print the goal's result")
    .argument('[id]', GOAL_ID)
    .option('--json', 'print the result as JSON')
    .action((id: string | undefined, o: { json?: boolean }) =>
      run(() => result(loadClientConfig(), id ?? '', o.json ?? false)),
    );

  program
    .command('watch')
    .description('live view until the goal ends')
    .argument('[id]', GOAL_ID)
    .option('--json', 'one status object per line')
    .option('--interval <seconds>', 'seconds between refreshes (default 1)')
    .action((id: string | undefined, o: { json?: boolean; interval?: string }) =>
      run(() =>
        watch(loadClientConfig(), id, {
          json: o.json ?? false,
          intervalMs: o.interval ? Number(o.interval) * 1000 : undefined,
        }),
      ),
    );

  program
    .command('list')
    .description('goals by search attribute, newest first')
    .option('--repo <path|url>', 'goals on this repository', collect)
    .option('--status <status>', 'running, succeeded, failed, budget_exhausted or cancelled')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'print JSON')
    .action((o: { repo?: string[]; status?: string; limit?: string; json?: boolean }) =>
      run(() =>
        list(loadClientConfig(), {
          repo: singleRepo(o.repo),
          status: o.status,
          limit: o.limit ? Number(o.limit) : undefined,
          json: o.json ?? false,
        }),
      ),
    );
}
