/** Task queue names: the contract between workflows, workers and clients. */

/** The agent worker's queue: workflows, model calls, publishing. */
export const AGENT_QUEUE = 'drydock-agent';

/** The shared sandbox queue: provisioning, served by every sandbox worker. */
export const SANDBOX_QUEUE = 'drydock-sandbox';

/** The queue of one sandbox host, for the containers that host holds. */
export function sandboxHostQueue(host: string): string {
  return `${SANDBOX_QUEUE}-${host}`;
}
