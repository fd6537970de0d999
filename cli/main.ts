/** The `drydock` command: a Temporal client for starting, watching and reading goals. */
import { parseArgs } from 'util';
import { ConfigError, loadConfig } from '../workers/config';
import { codecServer } from './codec-server';
import { doctor } from './doctor';
import { UsageError } from './errors';
import { printError } from './output';
import { cancel, result, status } from './goals';
import { list } from './list';
import { schedule } from './schedule';
import { approve, extend, feedback, finishNow } from './steer';
import { watch } from './watch';
import { prList, prShow } from './pr';
import { smoke } from './smoke';
import { start } from './start';

const HELP = `drydock — a self-hostable coding agent on Temporal

Usage:
  drydock doctor [--json]                 check Temporal, Docker, the sandbox image and the model
  drydock start --repo <path|url> --goal "<text>" [options]
      --branch <name>        base branch (default: the repository's default branch)
      --goal-file <file>     read the goal from a file
      --check "<command>"    a check the verify gate runs (repeatable; default: detected)
      --model <name>         model name (default: DRYDOCK_MODEL)
      --max-iterations <n>   model turns at most (default 30)
      --id <workflow id>     instead of the business key goal-<repo>-<hash>
      --wait                 wait for the result and print it
      --issue <owner/repo#n> the goal is this GitHub issue (title + body); the PR closes it
  drydock revise <owner/repo#pr> [--wait] [--check ...]
                                          address the PR's unresolved review comments on its branch
  drydock status <id> [--json]            phase, iteration, tokens, last tool, checks
  drydock result <id> [--json]            wait for and print the goal's result
  drydock watch <id> [--json]             live view until the goal ends (--json: one status per line)
  drydock list [--repo <r>] [--status <s>] [--json]
                                          goals by search attribute (status: running, succeeded,
                                          failed, budget_exhausted, cancelled)
  drydock feedback <id> "<message>"       a message the model reads before its next turn
  drydock approve plan|publish <id> [--reject] [--comment "…"]
                                          decide at an approval gate (policy requirePlanApproval /
                                          requirePublishApproval); --reject with a comment sends it back
  drydock extend <id> [--tokens n] [--cost usd] [--iterations n] [--seconds n]
                                          raise a goal's budget (a goal waiting with onExhausted "ask" goes on)
  drydock finish-now <id>                 a goal waiting for budget publishes what it has
  drydock cancel <id>                     cancel a goal (its sandbox is removed)
  drydock schedule create --cron "0 3 * * 1" --repo <r> [--repo <r> …] --goal "<text>"
                       [--id <name>] [--max-concurrent 2] [--check …] [--paused]
  drydock schedule list|show|pause|unpause|trigger|delete <id>
  drydock schedule backfill <id> --from <ISO time> --to <ISO time>
  drydock pr list [--json]                the local pull request records
  drydock pr show <id> [--json]           one pull request record
  drydock smoke [-- <argv>]               run the sandboxSmoke workflow
  drydock codec-server [--port 8888] [--ui-origin http://localhost:8233]
                                          decrypt payloads for the Temporal UI (needs DRYDOCK_PAYLOAD_KEY;
                                          requires its token: DRYDOCK_CODEC_TOKEN or one it prints)

Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default),
DRYDOCK_DATA_DIR (~/.drydock), OPENAI_API_KEY, OPENAI_BASE_URL, DRYDOCK_MODEL.
Failures exit non-zero with one line on stderr.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      repo: { type: 'string', multiple: true },
      branch: { type: 'string' },
      goal: { type: 'string' },
      'goal-file': { type: 'string' },
      check: { type: 'string', multiple: true },
      model: { type: 'string' },
      'max-iterations': { type: 'string' },
      port: { type: 'string' },
      'ui-origin': { type: 'string' },
      id: { type: 'string' },
      wait: { type: 'boolean' },
      issue: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      reject: { type: 'boolean' },
      comment: { type: 'string' },
      tokens: { type: 'string' },
      cost: { type: 'string' },
      iterations: { type: 'string' },
      seconds: { type: 'string' },
      cron: { type: 'string' },
      'max-concurrent': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      note: { type: 'string' },
      paused: { type: 'boolean' },
      interval: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command || command === 'help') {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 1;
  }
  const config = loadConfig();
  const json = values.json ?? false;
  switch (command) {
    case 'doctor':
      return doctor(config, json);
    case 'start':
      return start(config, {
        repo: singleRepo(values.repo),
        branch: values.branch,
        goal: values.goal,
        goalFile: values['goal-file'],
        check: values.check,
        model: values.model,
        maxIterations: values['max-iterations'],
        id: values.id,
        wait: values.wait,
        json,
        issue: values.issue,
      });
    case 'revise':
      return start(config, {
        pullRequest: rest[0] ?? '',
        repo: singleRepo(values.repo),
        goal: values.goal,
        check: values.check,
        model: values.model,
        maxIterations: values['max-iterations'],
        id: values.id,
        wait: values.wait,
        json,
      });
    case 'status':
      return status(config, rest[0] ?? '', json);
    case 'result':
      return result(config, rest[0] ?? '', json);
    case 'watch':
      return watch(config, rest[0], { json, intervalMs: values.interval ? Number(values.interval) * 1000 : undefined });
    case 'list':
      return list(config, { repo: singleRepo(values.repo), status: values.status, limit: values.limit ? Number(values.limit) : undefined, json });
    case 'feedback':
      return feedback(config, rest[0], rest.slice(1).join(' ') || values.comment);
    case 'approve':
      return approve(config, rest[0], rest[1], { reject: values.reject, comment: values.comment, json });
    case 'extend':
      return extend(
        config,
        rest[0],
        {
          tokens: numberOption(values.tokens),
          costUsd: numberOption(values.cost),
          iterations: numberOption(values.iterations),
          seconds: numberOption(values.seconds),
        },
        json,
      );
    case 'finish-now':
      return finishNow(config, rest[0]);
    case 'schedule':
      return schedule(config, rest[0], rest[1], {
        id: values.id,
        cron: values.cron,
        repo: values.repo,
        goal: values.goal,
        check: values.check,
        maxConcurrent: values['max-concurrent'],
        from: values.from,
        to: values.to,
        note: values.note,
        paused: values.paused,
        json,
      });
    case 'cancel':
      return cancel(config, rest[0] ?? '');
    case 'pr':
      if (rest[0] === 'list') return prList(config, json);
      if (rest[0] === 'show') return prShow(config, rest[1], json);
      throw new UsageError('usage: drydock pr list | drydock pr show <id>');
    case 'codec-server':
      return codecServer(config, { port: values.port, uiOrigin: values['ui-origin'] });
    case 'smoke':
      return smoke(config, rest, json);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; see drydock --help`);
  }
}

/** The one --repo a command takes; a clear error when there are several. */
function singleRepo(repos: string[] | undefined): string | undefined {
  if (repos && repos.length > 1) throw new UsageError('give one --repo (only `schedule create` takes several)');
  return repos?.[0];
}

/** A numeric option, or undefined when absent (the workflow validates the value). */
function numberOption(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const known = err instanceof UsageError || err instanceof ConfigError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS');
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    printError(`drydock: ${known ? message : `error: ${message}`}\n`);
    process.exitCode = 1;
  },
);
