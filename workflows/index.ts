/** Every workflow drydock registers. */
export { codingAgent } from './coding-agent';
export { sandboxSmoke } from './sandbox-smoke';
