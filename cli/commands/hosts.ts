/** `drydock hosts`: the command line of the sandbox hosts' list, drain and undrain. */
import type { Command } from 'commander';
import { loadClientConfig } from '../config';
import { hosts } from '../hosts';
import type { Run } from './command-kit';

/** Adds `hosts [--json]`, `hosts drain <host>` and `hosts undrain <host>`. */
export function addHostsCommands(program: Command, run: Run): void {
  const group = program
    .command('hosts')
    .description('the sandbox hosts: load (sandboxes running / capacity), health, drained or not')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => run(() => hosts(loadClientConfig(), { json: o.json ?? false })))
    .addHelpText(
      'after',
      '\nExamples:\n  $ drydock hosts\n  $ drydock hosts drain host-b\n  $ drydock hosts undrain host-b\n',
    );
  for (const [name, drained, what] of [
    ['drain', true, 'stop placing new sandboxes on a host; the goals running there finish there'],
    ['undrain', false, 'let a drained host take new sandboxes again'],
  ] as const) {
    group
      .command(name)
      .description(what)
      .argument('<host>', 'the host id (DRYDOCK_HOST_ID of its sandbox worker; see drydock hosts)')
      .option('--json', 'print JSON')
      .action((host: string, o: { json?: boolean }) =>
        run(() => hosts(loadClientConfig(), { drain: { host, drained }, json: o.json ?? false })),
      )
      .addHelpText('after', `\nExamples:\n  $ drydock hosts ${name} host-b\n`);
  }
}
