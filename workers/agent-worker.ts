/** The agent worker: queue `drydock-agent` (workflows, model calls, publishing). */
import { createAgentWorker } from './create-workers';
import { runWorkers } from './main';

runWorkers('agent', async (connection, config) => [await createAgentWorker(connection, config)]);
