/** The sandbox worker: queues `drydock-sandbox` and `drydock-sandbox-<host>` (containers on this Docker host). */
import { createSandboxWorkers } from './create-workers';
import { runWorkers } from './main';

runWorkers('sandbox', (connection, config) => createSandboxWorkers(connection, config));
