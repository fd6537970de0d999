/** `drydock status`, `result`, `watch`, `list`, `diff` and `logs`: the command lines that read goals. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { diff } from '../diff';
import { result, status } from '../goals';
import { LIST_STATUSES, list } from '../list';
import { logs } from '../logs';
import { watch } from '../watch';
import { collect, durationSeconds, examples, oneOf, singleRepo, wholeNumber, type Run } from './command-kit';

const GOAL_ID = 'the workflow id `drydock start` printed';

/** Adds status, result, watch, list, diff and logs. */
export function addGoalCommands(program: Command, run: Run): void {
  examples(
    program
      .command('status')
      .description('phase, what it waits for, the call running now, iteration, tokens, cost, checks')
      .argument('[id]', GOAL_ID)
      .option('--json', 'print the status query as JSON')
      .action((id: string | undefined, o: { json?: boolean }) =>
        run(() => status(loadClientConfig(), id, o.json ?? false)),
      ),
    ['drydock status goal-app-1a2b3c4d', 'drydock status goal-app-1a2b3c4d --json | jq .phase'],
  );

  examples(
    program
      .command('result')
      .description("wait for and print the goal's result (exit 1 unless it succeeded)")
      .argument('[id]', GOAL_ID)
      .option('--json', 'print the result as JSON')
      .action((id: string | undefined, o: { json?: boolean }) =>
        run(() => result(loadClientConfig(), id, o.json ?? false)),
      ),
    ['drydock result goal-app-1a2b3c4d', 'drydock result goal-app-1a2b3c4d --json > result.json'],
  );

  examples(
    program
      .command('watch')
      .description('live view until the goal ends')
      .argument('[id]', GOAL_ID)
      .option('--json', 'one status object per line')
      .option('--interval <seconds>', 'seconds between refreshes (default 1)', durationSeconds)
      .action((id: string | undefined, o: { json?: boolean; interval?: number }) =>
        run(() =>
          watch(loadClientConfig(), id, {
            json: o.json ?? false,
            intervalMs: o.interval !== undefined ? o.interval * 1000 : undefined,
          }),
        ),
      ),
    ['drydock watch goal-app-1a2b3c4d', 'drydock watch goal-app-1a2b3c4d --json --interval 5'],
  );

  examples(
    program
      .command('list')
      .description('goals by search attribute, newest first (a table on a terminal, tab-separated when piped)')
      .option('--repo <path|url>', 'goals on this repository', collect)
      .option('--status <status>', LIST_STATUSES.join(', '), oneOf(LIST_STATUSES))
      .option('--limit <n>', 'at most this many (default 50)', wholeNumber(1))
      .option('--json', 'print JSON')
      .action((o: { repo?: string[]; status?: string; limit?: number; json?: boolean }) =>
        run(() =>
          list(loadClientConfig(), {
            repo: singleRepo(o.repo),
            status: o.status,
            limit: o.limit,
            json: o.json ?? false,
          }),
        ),
      ),
    ['drydock list', 'drydock list --status running --limit 10', 'drydock list --repo ~/src/app | cut -f1,2'],
  );

  examples(
    program
      .command('diff')
      .description(
        "a goal's change: the workspace at its last checkpoint while it works, the change it publishes after",
      )
      .argument('[id]', GOAL_ID)
      .action((id: string | undefined) => run(() => diff(loadClientConfig(), id))),
    ['drydock diff goal-app-1a2b3c4d', 'drydock diff goal-app-1a2b3c4d | git apply --stat'],
  );

  examples(
    program
      .command('logs')
      .description('what a goal did: model turns (one line each), tool calls and their output, setup and check logs')
      .argument('[id]', GOAL_ID)
      .option('-f, --follow', 'keep printing until the goal ends')
      .option('--json', 'one JSON object per entry')
      .action((id: string | undefined, o: { follow?: boolean; json?: boolean }) =>
        run(() => logs(loadClientConfig(), id, { follow: o.follow ?? false, json: o.json ?? false })),
      ),
    ['drydock logs goal-app-1a2b3c4d', 'drydock logs -f goal-app-1a2b3c4d'],
  );
}
