/** `drydock feedback`, `approve`, `extend`, `finish-now` and `cancel`: the command lines that steer a running goal. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { cancel } from '../goals';
import { approve, extend, feedback, finishNow } from '../steer';
import { numberOption, type Run } from './command-kit';

/** Options `extend` parses. */
interface ExtendFlags {
  tokens?: string;
  cost?: string;
  iterations?: string;
  seconds?: string;
  json?: boolean;
}

/** Adds feedback, approve, extend, finish-now and cancel. */
export function addSteerCommands(program: Command, run: Run): void {
  program
    .command('feedback')
    .description('a message the model reads before its next turn')
    .argument('[id]', 'the goal')
    .argument('[message...]', 'the message')
    .option('--comment <message>', 'the message, as an option')
    .action((id: string | undefined, words: string[], o: { comment?: string }) =>
      run(() => feedback(loadClientConfig(), id, words.join(' ') || o.comment)),
    );

  program
    .command('approve')
    .description('decide at an approval gate (policy requirePlanApproval / requirePublishApproval)')
    .argument('[gate]', 'plan or publish')
    .argument('[id]', 'the goal')
    .option('--reject', 'send it back instead (with --comment saying why)')
    .option('--comment <text>', 'what the model reads with the decision')
    .option('--json', 'print JSON')
    .action(
      (gate: string | undefined, id: string | undefined, o: { reject?: boolean; comment?: string; json?: boolean }) =>
        run(() =>
          approve(loadClientConfig(), gate, id, { reject: o.reject, comment: o.comment, json: o.json ?? false }),
        ),
    );

  program
    .command('extend')
    .description('raise a goal\'s budget (a goal waiting with onExhausted "ask" goes on)')
    .argument('[id]', 'the goal')
    .option('--tokens <n>', 'more tokens')
    .option('--cost <usd>', 'more cost, in US dollars')
    .option('--iterations <n>', 'more model turns')
    .option('--seconds <n>', 'more time')
    .option('--json', 'print the new limits as JSON')
    .action((id: string | undefined, o: ExtendFlags) =>
      run(() =>
        extend(
          loadClientConfig(),
          id,
          {
            tokens: numberOption(o.tokens),
            costUsd: numberOption(o.cost),
            iterations: numberOption(o.iterations),
            seconds: numberOption(o.seconds),
          },
          o.json ?? false,
        ),
      ),
    );

  program
    .command('finish-now')
    .description('a goal waiting for budget publishes what it has')
    .argument('[id]', 'the goal')
    .action((id: string | undefined) => run(() => finishNow(loadClientConfig(), id)));

  program
    .command('cancel')
    .description('cancel a goal (its sandbox is removed)')
    .argument('[id]', 'the goal')
    .action((id: string | undefined) => run(() => cancel(loadClientConfig(), id ?? '')));
}
