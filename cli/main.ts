/** The `drydock` command: a Temporal client for starting, watching and reading goals. */
import { parseArgs } from 'util';
import { ConfigError, loadConfig } from '../workers/config';
import { codecServer } from './codec-server';
import { doctor } from './doctor';
import { UsageError } from './errors';
import { cancel, result, status } from './goals';
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
  drydock cancel <id>                     cancel a goal (its sandbox is removed)
  drydock pr list [--json]                the local pull request records
  drydock pr show <id> [--json]           one pull request record
  drydock smoke [-- <argv>]               run the sandboxSmoke workflow
  drydock codec-server [--port 8888]      decrypt payloads for the Temporal UI (needs DRYDOCK_PAYLOAD_KEY)

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
      repo: { type: 'string' },
      branch: { type: 'string' },
      goal: { type: 'string' },
      'goal-file': { type: 'string' },
      check: { type: 'string', multiple: true },
      model: { type: 'string' },
      'max-iterations': { type: 'string' },
      port: { type: 'string' },
      id: { type: 'string' },
      wait: { type: 'boolean' },
      issue: { type: 'string' },
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
        repo: values.repo,
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
        repo: values.repo,
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
    case 'cancel':
      return cancel(config, rest[0] ?? '');
    case 'pr':
      if (rest[0] === 'list') return prList(config, json);
      if (rest[0] === 'show') return prShow(config, rest[1], json);
      throw new UsageError('usage: drydock pr list | drydock pr show <id>');
    case 'codec-server':
      return codecServer(config, values.port);
    case 'smoke':
      return smoke(config, rest, json);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; see drydock --help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const known = err instanceof UsageError || err instanceof ConfigError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS');
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    process.stderr.write(`drydock: ${known ? message : `error: ${message}`}\n`);
    process.exitCode = 1;
  },
);
