/** `drydock schedule …`: the command lines of Temporal Schedules that start the maintenance workflow. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { UsageError } from '../errors';
import { schedule, type ScheduleOptions } from '../schedule';
import { collect, examples, wholeNumber, type Run } from './command-kit';
import { addPolicyOptions, type PolicyFlags } from './policy-flags';

const USAGE = 'usage: drydock schedule create|list|show|pause|unpause|trigger|backfill|delete …';

/** Adds `schedule create|list|show|pause|unpause|trigger|backfill|delete`. */
export function addScheduleCommands(program: Command, run: Run): void {
  const group = program
    .command('schedule')
    .description('Temporal Schedules that run a maintenance goal over repositories')
    .usage('create|list|show|pause|unpause|trigger|backfill|delete [options]')
    .argument('[command...]')
    // A missing or unknown subcommand says the usage in one line.
    .action(() => run(() => Promise.reject(new UsageError(USAGE))));
  const runSchedule = (action: string, id: string | undefined, o: ScheduleOptions) =>
    run(() => schedule(loadClientConfig(), action, id, toOptions(o)));

  const create = group
    .command('create')
    .description('a schedule that starts the maintenance workflow on a cron')
    .option('--cron <expression>', 'five-field cron, e.g. "0 3 * * 1" (minute hour day month weekday)')
    .option('--repo <path|url>', 'a repository (repeatable)', collect)
    .option('--goal <text>', 'what to do in each repository')
    .option('--check <command>', 'a check the verify gate runs (repeatable)', collect)
    .option('--id <name>', 'the schedule id (default: drydock-<goal words>)')
    .option('--max-concurrent <n>', 'goals at once (default 2)', wholeNumber(1))
    .option('--note <text>', "the schedule's note")
    .option('--paused', 'create it paused')
    .option('--json', 'print JSON');
  addPolicyOptions(create).action((o: ScheduleOptions & PolicyFlags) =>
    runSchedule('create', undefined, { ...o, policy: o }),
  );
  examples(create, [
    'drydock schedule create --cron "0 3 * * 1" --repo ~/src/a --repo ~/src/b --goal "Upgrade lodash" --max-tokens 200000',
    'drydock schedule create --id weekly-deps --cron @weekly --repo . --goal "Update dependencies" --require-publish-approval',
  ]);
  examples(
    group
      .command('list')
      .description('every schedule: state, cron, next run, repositories, goal')
      .option('--json', 'print JSON')
      .action((o: ScheduleOptions) => runSchedule('list', undefined, o)),
    ['drydock schedule list', 'drydock schedule list --json'],
  );
  examples(
    group
      .command('show')
      .description("a schedule's state, cron, goal, repositories, next runs and recent runs")
      .argument('[id]', 'the schedule id')
      .option('--json', 'print JSON')
      .action((id: string | undefined, o: ScheduleOptions) => runSchedule('show', id, o)),
    ['drydock schedule show weekly-upgrade'],
  );
  for (const [action, description] of [
    ['pause', 'pause a schedule'],
    ['unpause', 'unpause a schedule'],
  ] as const) {
    examples(
      group
        .command(action)
        .description(description)
        .argument('[id]', 'the schedule id')
        .option('--note <text>', 'why')
        .action((id: string | undefined, o: ScheduleOptions) => runSchedule(action, id, o)),
      [`drydock schedule ${action} weekly-upgrade --note "release freeze"`],
    );
  }
  examples(
    group
      .command('trigger')
      .description('run a schedule now (skipped if a run is in progress)')
      .argument('[id]', 'the schedule id')
      .action((id: string | undefined, o: ScheduleOptions) => runSchedule('trigger', id, o)),
    ['drydock schedule trigger weekly-upgrade'],
  );
  examples(
    group
      .command('backfill')
      .description(
        'run the actions a schedule would have taken in a past window (says how many ran, how many overlap skipped)',
      )
      .argument('[id]', 'the schedule id')
      .option('--from <ISO time>', 'start of the window')
      .option('--to <ISO time>', 'end of the window')
      .option('--json', 'print JSON')
      .action((id: string | undefined, o: ScheduleOptions) => runSchedule('backfill', id, o)),
    ['drydock schedule backfill weekly-upgrade --from 2026-11-01T00:00:00Z --to 2026-11-15T00:00:00Z'],
  );
  examples(
    group
      .command('delete')
      .description('delete a schedule')
      .argument('[id]', 'the schedule id')
      .action((id: string | undefined, o: ScheduleOptions) => runSchedule('delete', id, o)),
    ['drydock schedule delete weekly-upgrade'],
  );
}

function toOptions(o: ScheduleOptions): ScheduleOptions {
  return {
    id: o.id,
    cron: o.cron,
    repo: o.repo,
    goal: o.goal,
    check: o.check,
    maxConcurrent: o.maxConcurrent,
    policy: o.policy,
    from: o.from,
    to: o.to,
    note: o.note,
    paused: o.paused,
    json: o.json ?? false,
  };
}
