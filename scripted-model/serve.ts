/**
 * Runs the scripted model from a shell (the keyless demo does):
 * `node dist/scripted-model/serve.js --script file.json [--port 0] [--host 127.0.0.1]`.
 * Prints `listening <base URL>` once it answers; on SIGTERM or SIGINT it
 * prints what went wrong (failed expectations, exhausted script) to stderr and exits 0.
 */
import { loadScript } from './script';
import { startScriptedModelServer } from './server';

function argValue(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const scriptFile = argValue(argv, '--script');
  if (!scriptFile) throw new Error('usage: scripted-model-server --script file.json [--port 0] [--host 127.0.0.1]');
  const port = Number(argValue(argv, '--port') ?? '0');
  const server = await startScriptedModelServer({
    script: loadScript(scriptFile),
    port,
    host: argValue(argv, '--host'),
  });
  const stop = (): void => {
    for (const failure of server.failures) process.stderr.write(`scripted-model-server: ${failure}\n`);
    void server.close().then(() => process.exit(0));
  };
  // Handlers first: whoever reads `listening` may signal at once.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`listening ${server.url}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`scripted-model-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
