/** `drydock codec-server`: the command line of the payload codec server for the Temporal UI. */
import type { Command } from 'commander';
import { codecServer } from '../codec-server';
import { loadClientConfig } from '../config';
import type { Run } from './command-kit';

/** Adds `codec-server [--port 8888] [--ui-origin http://localhost:8233]`. */
export function addCodecServerCommand(program: Command, run: Run): void {
  program
    .command('codec-server')
    .description('decrypt payloads for the Temporal UI (needs DRYDOCK_PAYLOAD_KEY; requires its token)')
    .option('--port <port>', 'port to listen on (default 8888)')
    .option('--ui-origin <origin>', "the Temporal UI's origin (default: DRYDOCK_UI_URL's)")
    .action((o: { port?: string; uiOrigin?: string }) =>
      run(() => codecServer(loadClientConfig(), { port: o.port, uiOrigin: o.uiOrigin })),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ DRYDOCK_PAYLOAD_KEY=$(cat key) drydock codec-server\n  $ drydock codec-server --port 9999 --ui-origin http://temporal-ui.internal:8080\n',
    );
}
