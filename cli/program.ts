/**
 * The `drydock` command line on commander: the top-level help, and one
 * command group per file under commands/. Every command records its exit code
 * through `run`; main.ts turns failures into one line.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { EXIT, UsageError } from './errors';
import { completionScript } from './completion';
import { examples } from './commands/command-kit';
import { addCodecServerCommand } from './commands/codec-server';
import { addCostCommand } from './commands/cost';
import { addModelsCommand } from './commands/models';
import type { Run } from './commands/command-kit';
import { addDoctorCommand } from './commands/doctor';
import { addGoalCommands } from './commands/goals';
import { addPrCommands } from './commands/pr';
import { addEnvCommands } from './commands/env';
import { addReviseCommand } from './commands/revise';
import { addScheduleCommands } from './commands/schedule';
import { addSmokeCommand } from './commands/smoke';
import { addHostsCommands } from './commands/hosts';
import { addStartCommand } from './commands/start';
import { addSteerCommands } from './commands/steer';

/** What `drydock --help` prints: every command, in the order a person meets them. */
export const HELP = `drydock — a self-hostable coding agent on Temporal

Usage:
  drydock doctor [--json]                 check Temporal, the workers (and their model), Docker, the sandbox image
  drydock start --repo <path|url> --goal "<text>" [options]
      --branch <name>        base branch (default: the repository's default branch)
      --goal-file <file>     read the goal from a file
      --check "<command>"    a check the verify gate runs (repeatable; default: detected)
      --model <name>         model profile or name (default: the worker's DRYDOCK_MODEL; see drydock models)
      --max-iterations <n>   model turns at most (default 30)
      --max-tokens <n>       tokens the goal may use          --max-cost <usd>   dollars it may spend
      --deadline <duration>  working time at most (90s, 30m, 2h; default 2h)
      --on-exhausted publish|ask|stop       when a budget runs out (default publish: a draft PR)
      --require-plan-approval               wait for \`drydock approve plan\` before changing anything
      --require-publish-approval            wait for \`drydock approve publish\` before publishing
      --id <workflow id>     instead of the business key goal-<repo>-<hash>
      --wait                 wait for the result and print it
      --issue <owner/repo#n> the goal is this GitHub issue (title + body); the PR closes it
  drydock revise <owner/repo#pr> [--wait] [--check ...]
                                          address the PR's unresolved review comments on its branch
  drydock status <id> [--json]            phase, what it waits for and the command that answers, the call
                                          running now, iteration, tokens, cost, checks
  drydock result <id> [--json]            wait for and print the goal's result
  drydock watch <id> [--json] [--interval <s>]
                                          live view until the goal ends (--json: one status per line)
  drydock list [--repo <r>] [--status <s>] [--limit <n>] [--json]
                                          goals by search attribute (status: running, succeeded,
                                          failed, budget_exhausted, cancelled)
  drydock diff <id>                       the goal's change: its workspace at the last checkpoint while it
                                          works, the change it publishes once made
  drydock logs <id> [-f] [--json]         model turns, tool calls with output, setup and check logs
  drydock cost [--repo <r>] [--since 7d] [--by goal|repo|model|day] [--json]
                                          tokens (prompt, cached, completion, reasoning) and dollars
  drydock models [--json]                 the model profiles --model picks (read on the agent worker)
  drydock feedback <id> "<message>"       a message the model reads before its next turn
  drydock approve plan|publish <id> [--reject] [--comment "…"]
                                          decide at an approval gate (see drydock status for which)
  drydock extend <id> [--tokens n] [--cost usd] [--iterations n] [--seconds 30m]
                                          raise a goal's budget (a goal waiting with onExhausted "ask" goes on)
  drydock finish-now <id>                 a goal waiting for budget publishes what it has
  drydock cancel <id>                     cancel a goal (its sandbox is removed)
  drydock schedule create --cron "0 3 * * 1" --repo <r> [--repo <r> …] --goal "<text>"
                       [--id <name>] [--max-concurrent 2] [--check …] [--note "…"] [--paused] [policy flags]
  drydock schedule list|show|pause|unpause|trigger|delete <id>
  drydock schedule backfill <id> --from <ISO time> --to <ISO time>
  drydock pr list [--json]                the pull request records (read on the agent worker)
  drydock pr show <id> [--diff] [--json]  one pull request record (PR id, branch or goal id)
  drydock env list|show <key>|prune [--repo <r>] [--host <h>] [--json]
                                          a sandbox host's cached environments (post-setup snapshots)
  drydock smoke [-- <argv>]               run the sandboxSmoke workflow
  drydock hosts [--json]                  the sandbox hosts: load (running / capacity), health, drained
  drydock hosts drain|undrain <host>      stop (or resume) placing new sandboxes on a host
  drydock codec-server [--port 8888] [--ui-origin http://localhost:8233]
                                          decrypt payloads for the Temporal UI (needs DRYDOCK_PAYLOAD_KEY;
                                          requires its token: DRYDOCK_CODEC_TOKEN or one it prints)
  drydock completion bash|zsh             a completion script: source <(drydock completion bash)
  drydock help <command>                  a command's own options and examples
  drydock --version                       drydock's version

Every command takes --address <host:port> and --namespace <name> (over TEMPORAL_ADDRESS, localhost:7233,
and TEMPORAL_NAMESPACE, default). Environment: DRYDOCK_UI_URL (http://localhost:8233), DRYDOCK_PAYLOAD_KEY;
doctor also reads DOCKER_HOST, DRYDOCK_SANDBOX_IMAGE, OPENAI_API_KEY, OPENAI_BASE_URL, DRYDOCK_MODEL.
Failures print one line on stderr. Exit codes: 0 done (the goal succeeded), 1 the goal did not succeed
(or an unexpected error), 2 bad usage, 3 Temporal or the needed worker unreachable, 4 refused by the goal.
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
    .option('--address <host:port>', 'the Temporal frontend (over TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'the Temporal namespace (over TEMPORAL_NAMESPACE)')
    // No command prints the help and fails with the usage code; an unknown one says so in one line.
    .action((words: string[]) =>
      run(async () => {
        if (words.length === 0) {
          process.stdout.write(HELP);
          return EXIT.usage;
        }
        const near = closest(
          words[0] ?? '',
          program.commands.map((c) => c.name()),
        );
        throw new UsageError(
          `unknown command ${JSON.stringify(words[0])}${near ? ` (did you mean ${near}?)` : ''}; see drydock --help`,
        );
      }),
    );
  // The connection flags are the environment's for every command that reads it.
  program.hook('preAction', () => {
    const o = program.opts<{ address?: string; namespace?: string }>();
    if (o.address !== undefined) {
      if (!o.address.trim()) throw new UsageError('--address is empty; give host:port, e.g. localhost:7233');
      process.env.TEMPORAL_ADDRESS = o.address;
    }
    if (o.namespace !== undefined) {
      if (!o.namespace.trim()) throw new UsageError('--namespace is empty; give a namespace, e.g. default');
      process.env.TEMPORAL_NAMESPACE = o.namespace;
    }
  });
  addDoctorCommand(program, run);
  addStartCommand(program, run);
  addReviseCommand(program, run);
  addGoalCommands(program, run);
  addCostCommand(program, run);
  addModelsCommand(program, run);
  addSteerCommands(program, run);
  addScheduleCommands(program, run);
  addPrCommands(program, run);
  addEnvCommands(program, run);
  addSmokeCommand(program, run);
  addHostsCommands(program, run);
  addCodecServerCommand(program, run);
  examples(
    program
      .command('completion')
      .description('a completion script for bash or zsh')
      .argument('[shell]', 'bash or zsh')
      .action((shell: string | undefined) =>
        run(async () => {
          process.stdout.write(completionScript(program, shell));
          return EXIT.ok;
        }),
      ),
    ['source <(drydock completion bash)', 'drydock completion zsh > "${fpath[1]}/_drydock"'],
  );
  // Set last: subcommands made before keep commander's own help for their `--help`.
  return program.configureHelp({ formatHelp: () => HELP });
}

/** The commands other than the one used that have this flag (`drydock watch` for --interval), for "unknown option" errors. */
export function otherCommandsWithOption(program: Command, flag: string): string[] {
  const owners: string[] = [];
  const visit = (c: Command, path: string) => {
    if (c !== program && c.options.some((o) => o.long === flag || o.short === flag)) owners.push(path);
    for (const s of c.commands) visit(s, `${path} ${s.name()}`);
  };
  visit(program, 'drydock');
  return owners.slice(0, 3);
}

/** The name nearest to a mistyped one (at most 2 edits away), for "did you mean". */
export function closest(word: string, names: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = editDistance(word, name);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** Edits between two words (insert, delete, replace, swap two neighbours). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  return at(a.length, b.length);
}
