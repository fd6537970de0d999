/** `drydock feedback`, `approve`, `extend`, `finish-now` and `cancel`: the command lines that steer a running goal. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { cancel } from '../goals';
import { approve, extend, feedback, finishNow } from '../steer';
import { durationSeconds, examples, positiveAmount, wholeNumber, type Run } from './command-kit';

/** Options `extend` parses. */
interface ExtendFlags {
  tokens?: number;
  cost?: number;
  iterations?: number;
  seconds?: number;
  json?: boolean;
}

/** Adds feedback, approve, extend, finish-now and cancel. */
export function addSteerCommands(program: Command, run: Run): void {
  examples(
    program
      .command('feedback')
      .description('a message the model reads before its next turn')
      .argument('[id]', 'the goal')
      .argument('[message...]', 'the message')
      .option('--comment <message>', 'the message, as an option')
      .action((id: string | undefined, words: string[], o: { comment?: string }) =>
        run(() => feedback(loadClientConfig(), id, words.join(' ') || o.comment)),
      ),
    ['drydock feedback goal-app-1a2b3c4d "use the existing retry helper, not a new one"'],
  );

  examples(
    program
      .command('approve')
      .description('decide at an approval gate (policy requirePlanApproval / requirePublishApproval)')
      .argument('[gate]', 'plan or publish')
      .argument('[id]', 'the goal')
      .option('--reject', 'say no (the goal ends unless the workflow sends it back with your --comment)')
      .option('--comment <text>', 'what the model reads with the decision')
      .option('--json', 'print JSON')
      .action(
        (gate: string | undefined, id: string | undefined, o: { reject?: boolean; comment?: string; json?: boolean }) =>
          run(() =>
            approve(loadClientConfig(), gate, id, { reject: o.reject, comment: o.comment, json: o.json ?? false }),
          ),
      ),
    [
      'drydock approve plan goal-app-1a2b3c4d',
      'drydock approve publish goal-app-1a2b3c4d --reject --comment "keep the public API unchanged"',
    ],
  );

  examples(
    program
      .command('extend')
      .description('raise a goal\'s budget (a goal waiting with onExhausted "ask" goes on)')
      .argument('[id]', 'the goal')
      .option('--tokens <n>', 'more tokens', wholeNumber(1))
      .option('--cost <usd>', 'more cost, in US dollars', positiveAmount)
      .option('--iterations <n>', 'more model turns', wholeNumber(1))
      .option('--seconds <duration>', 'more time: seconds, or 30m, 2h', durationSeconds)
      .option('--json', 'print the new limits as JSON')
      .action((id: string | undefined, o: ExtendFlags) =>
        run(() =>
          extend(
            loadClientConfig(),
            id,
            { tokens: o.tokens, costUsd: o.cost, iterations: o.iterations, seconds: o.seconds },
            o.json ?? false,
          ),
        ),
      ),
    [
      'drydock extend goal-app-1a2b3c4d --tokens 200000 --iterations 10',
      'drydock extend goal-app-1a2b3c4d --seconds 30m',
    ],
  );

  examples(
    program
      .command('finish-now')
      .description('a goal waiting for budget publishes what it has')
      .argument('[id]', 'the goal')
      .action((id: string | undefined) => run(() => finishNow(loadClientConfig(), id))),
    ['drydock finish-now goal-app-1a2b3c4d'],
  );

  examples(
    program
      .command('cancel')
      .description('cancel a goal (its sandbox is removed)')
      .argument('[id]', 'the goal')
      .action((id: string | undefined) => run(() => cancel(loadClientConfig(), id))),
    ['drydock cancel goal-app-1a2b3c4d'],
  );
}
