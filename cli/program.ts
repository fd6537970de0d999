/**
 * The `drydock` command line on commander: the top-level help, and one
 * command group per file under commands/. Every command records its exit code
 * through `run`; main.ts turns failures into one line.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { UsageError } from './errors';
import { addCodecServerCommand } from './commands/codec-server';
import { addCostCommand } from './commands/cost';
import { addModelsCommand } from './commands/models';
import type { Run } from './commands/command-kit';
import { addDoctorCommand } from './commands/doctor';
import { addGoalCommands } from './commands/goals';
import { addPrCommands } from './commands/pr';
import { addReviseCommand } from './commands/revise';
import { addScheduleCommands } from './commands/schedule';
import { addSmokeCommand } from './commands/smoke';
import { addStartCommand } from './commands/start';
import { addSteerCommands } from './commands/steer';

/** What `drydock --help` prints: every command, in the order a person meets them. */
export const HELP = `drydock — a self-hostable coding agent on Temporal

Usage:
  drydock doctor [--json]                 check Temporal, Docker, the sandbox image and the model
  drydock start --repo <path|url> --goal "<text>" [options]
      --branch <name>        base branch (default: the repository's default branch)
      --goal-file <file>     read the goal from a file
      --check "<command>"    a check the verify gate runs (repeatable; default: detected)
      --model <name>         model profile or name (default: DRYDOCK_MODEL; see drydock models)
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
  drydock cost [--repo <r>] [--since 7d] [--by goal|repo|model|day] [--json]
                                          tokens (prompt, cached, completion, reasoning) and dollars
  drydock models [--json]                 the model profiles --model picks (read on the agent worker)
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
  drydock pr list [--json]                the pull request records (read on the agent worker)
  drydock pr show <id> [--json]           one pull request record (PR id, branch or goal id)
  drydock smoke [-- <argv>]               run the sandboxSmoke workflow
  drydock codec-server [--port 8888] [--ui-origin http://localhost:8233]
                                          decrypt payloads for the Temporal UI (needs DRYDOCK_PAYLOAD_KEY;
                                          requires its token: DRYDOCK_CODEC_TOKEN or one it prints)
  drydock help <command>                  a command's own options
  drydock --version                       drydock's version

Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default),
DRYDOCK_UI_URL (http://localhost:8233), DRYDOCK_PAYLOAD_KEY; doctor also reads
DOCKER_HOST, DRYDOCK_SANDBOX_IMAGE, OPENAI_API_KEY, OPENAI_BASE_URL, DRYDOCK_MODEL.
Failures exit non-zero with one line on stderr.
`;

/** drydock's version, from its package.json (found upward from this file, in the sources or in dist/). */
export function drydockVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'drydock' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** Builds the command line; `run` records each command's exit code. */
export function buildProgram(run: Run): Command {
  const program = new Command('drydock')
    .version(drydockVersion(), '-V, --version', "drydock's version")
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', "a command's own options")
    // Errors surface as thrown CommanderErrors that main prints in one line; help goes to stdout.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .argument('[command...]')
    // No command prints the help and fails (as before commander); an unknown one says so in one line.
    .action((words: string[]) =>
      run(async () => {
        if (words.length === 0) {
          process.stdout.write(HELP);
          return 1;
        }
        throw new UsageError(`unknown command ${JSON.stringify(words[0])}; see drydock --help`);
      }),
    );
  addDoctorCommand(program, run);
  addStartCommand(program, run);
  addReviseCommand(program, run);
  addGoalCommands(program, run);
  addCostCommand(program, run);
  addModelsCommand(program, run);
  addSteerCommands(program, run);
  addScheduleCommands(program, run);
  addPrCommands(program, run);
  addSmokeCommand(program, run);
  addCodecServerCommand(program, run);
  // Set last: subcommands made before keep commander's own help for their `--help`.
  return program.configureHelp({ formatHelp: () => HELP });
}
