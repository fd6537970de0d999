/** Agent and sandbox workers in one process, for one machine (`npm run worker`). */
import { createAgentWorker, createSandboxWorkers } from './create-workers';
import { runWorkers } from './main';

runWorkers('agent+sandbox', async (connection, config) => [
  await createAgentWorker(connection, config),
  ...(await createSandboxWorkers(connection, config)),
]);
