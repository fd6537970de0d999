/** `drydock cost`: tokens and dollars of goals, grouped, with totals. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { cost } from '../cost';
import { collect, singleRepo, type Run } from './command-kit';

/** Adds `cost [--repo R] [--since 7d] [--by goal|repo|model|day] [--json]`. */
export function addCostCommand(program: Command, run: Run): void {
  program
    .command('cost')
    .description('tokens (prompt, cached, completion, reasoning) and dollars of goals, with totals')
    .option('--repo <path|url>', 'goals on this repository', collect)
    .option('--since <when>', 'goals started since: 7d, 12h, 30m, 2w or an ISO date')
    .option('--by <grouping>', 'goal, repo, model or day (default goal)')
    .option('--json', 'print JSON')
    .action((o: { repo?: string[]; since?: string; by?: string; json?: boolean }) =>
      run(() =>
        cost(loadClientConfig(), { repo: singleRepo(o.repo), since: o.since, by: o.by, json: o.json ?? false }),
      ),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ drydock cost --since 7d --by model\n  $ drydock cost --repo ~/src/app --json\n',
    );
}
