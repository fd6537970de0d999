/** `drydock doctor`: the command line of the machine check. */
import type { Command } from 'commander';
import { loadDoctorConfig } from '../config';
import { doctor } from '../doctor';
import type { Run } from './command-kit';

/** Adds `doctor [--json]`. */
export function addDoctorCommand(program: Command, run: Run): void {
  program
    .command('doctor')
    .description('check Temporal, Docker, the sandbox image and the model')
    .option('--json', 'print the checks as JSON')
    .action((o: { json?: boolean }) => run(() => doctor(loadDoctorConfig(), o.json ?? false)))
    .addHelpText(
      'after',
      '\nExamples:\n  $ drydock doctor\n  $ drydock doctor --json --address temporal.internal:7233\n',
    );
}
