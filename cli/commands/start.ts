/** `drydock start`: the command line of starting a goal. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { start, type StartOptions } from '../start';
import { collect, examples, singleRepo, type Run } from './command-kit';
import { addPolicyOptions, type PolicyFlags } from './policy-flags';
import type { InternetFlags } from '../internet-flag';

/** Options `start` parses: StartOptions with the policy flags flat, and --repo collected (one is allowed; singleRepo says so). */
type StartFlags = Omit<StartOptions, 'repo' | 'pullRequest' | 'policy' | 'internetFlags'> &
  PolicyFlags &
  InternetFlags & { repo?: string[] };

/** Adds `start --repo <path|url> --goal "<text>" [options]`. */
export function addStartCommand(program: Command, run: Run): void {
  const command = program
    .command('start')
    .description('start a goal: one durable workflow that ends in a pull request')
    .option('--repo <path|url>', 'the repository (a local path or a git URL)', collect)
    .option('--goal <text>', 'what to do, in plain words (quote it)')
    .option('--goal-file <file>', 'read the goal from a file')
    .option('--branch <name>', "base branch (default: the repository's default branch)")
    .option('--check <command>', 'a check the verify gate runs (repeatable; default: detected)', collect)
    .option(
      '--internet <off|list>',
      "the agent phase's internet: off, or domains and presets (package-registries), comma-separated; narrows .drydock/environment.json",
    )
    .option('--internet-read-only', 'with --internet: plain-http requests may only GET, HEAD or OPTIONS');
  addPolicyOptions(command)
    .option('--id <workflow id>', 'instead of the business key goal-<repo>-<hash>')
    .option('--wait', 'wait for the result and print it')
    .option('--issue <owner/repo#n>', 'the goal is this GitHub issue (title + body); the PR closes it')
    .option('--json', 'print JSON')
    .action((o: StartFlags) =>
      run(() =>
        start(loadClientConfig(), {
          repo: singleRepo(o.repo),
          branch: o.branch,
          goal: o.goal,
          goalFile: o.goalFile,
          check: o.check,
          policy: o,
          id: o.id,
          wait: o.wait,
          json: o.json ?? false,
          issue: o.issue,
          internetFlags: { internet: o.internet, internetReadOnly: o.internetReadOnly },
        }),
      ),
    );
  examples(command, [
    'drydock start --repo . --goal "Make the failing test in test/math.test.js pass"',
    'drydock start --repo ~/src/app --branch develop --goal-file goal.md --check "npm test" --wait',
    'drydock start --repo . --goal "Upgrade lodash" --require-publish-approval --max-tokens 300000 --deadline 1h',
    'drydock start --issue acme/app#42 --on-exhausted ask',
    'drydock start --repo . --goal "Bump the parser to its latest release" --internet package-registries --internet-read-only',
  ]);
}
