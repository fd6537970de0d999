/** Every workflow drydock registers. */
export { codingAgent } from './coding-agent';
export { sandboxSmoke } from './sandbox-smoke';
export { maintenance } from './maintenance';
export { pullRequests } from './pull-requests';
export { modelProfiles } from './model-profiles';
export { goalArtifacts } from './goal-artifacts';
export { environmentCache } from './environment-cache';
