/** `drydock doctor`: the command line of the machine check and of the repository report (`--repo`). */
import type { Command } from 'commander';
import { loadDoctorConfig } from '../config';
import { doctor } from '../doctor';
import { doctorRepository } from '../doctor-repo';
import type { Run } from './command-kit';

/** Adds `doctor [--repo <path>] [--json]`. */
export function addDoctorCommand(program: Command, run: Run): void {
  program
    .command('doctor')
    .description(
      'check Temporal, Docker, the sandbox image and the model; with --repo, what drydock would do for a repository',
    )
    .option(
      '--repo <path>',
      'a local repository: its environment file, setup, checks, env, toolchains and services at HEAD',
    )
    .option('--json', 'print the checks (or the repository report) as JSON')
    .action((o: { repo?: string; json?: boolean }) =>
      run(() =>
        o.repo !== undefined ? doctorRepository(o.repo, o.json ?? false) : doctor(loadDoctorConfig(), o.json ?? false),
      ),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ drydock doctor\n  $ drydock doctor --json --address temporal.internal:7233\n  $ drydock doctor --repo ~/src/myproject\n',
    );
}
