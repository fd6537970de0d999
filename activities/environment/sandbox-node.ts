/**
 * Gives a goal's sandbox the Node it asks for, at the start of the setup phase
 * (the container exists by then; its toolchain view was mounted at creation):
 * resolves the request (node-version.ts), installs the version on this host
 * once (node-toolchains.ts), points the sandbox's view at it
 * (toolchain-mounts.ts), and checks that a login shell in the sandbox finds it
 * first. Runs again on every new sandbox of the goal (a replaced one, the
 * clean-room one), from the same record.
 */
import type Dockerode from 'dockerode';
import { failure } from '../../workflows/failures';
import type { Sandbox } from '../sandbox/sandbox';
import { NODE_BIN_IN_SANDBOX, selectNode, toolchainRoot, viewOfLabels } from '../sandbox/toolchain-mounts';
import type { NodeToolchains } from './node-toolchains';
import { nodeRequestOf, resolveNodeRequest, type NodeHints } from './node-version';

/** What prepareSandboxNode needs. */
export interface SandboxNodeOptions {
  sandbox: Sandbox;
  containerId: string;
  /** The engine, to read the container's view label; absent: no toolchain can be given. */
  docker?: Dockerode;
  /** The host's Node cache; absent: no toolchain can be installed. */
  toolchains?: NodeToolchains;
  /** The environment file's toolchains.node, as validated. */
  declared?: string;
  hints: NodeHints;
  /** The toolchain cache root; toolchainRoot() when absent. */
  root?: string;
}

/** A line for the setup log saying which Node the sandbox runs and why; undefined when nothing asked for one. */
export async function prepareSandboxNode(o: SandboxNodeOptions): Promise<string | undefined> {
  const request = nodeRequestOf(o.declared, o.hints);
  const root = o.root ?? toolchainRoot();
  const view = o.docker
    ? viewOfLabels(root, (await o.docker.getContainer(o.containerId).inspect()).Config.Labels ?? undefined)
    : undefined;
  // A retried setup starts from the image's Node again.
  if (view) await selectNode(view, undefined);
  if (!request) return undefined;
  if (!o.toolchains || !view) {
    throw failure(
      'ToolchainUnavailable',
      `${request.source} asks for Node ${request.spec}, but this sandbox has no toolchain mount (the sandbox worker is not on the Docker engine's host, or the container was made without one)`,
    );
  }
  let imageVersion: string | undefined;
  if (request.kind === 'range') {
    const probe = await o.sandbox.exec(o.containerId, ['node', '--version'], { timeoutMs: 30_000 });
    imageVersion = probe.exitCode === 0 ? probe.stdout.trim() : undefined;
  }
  const choice = await resolveNodeRequest(request, o.toolchains.registry, imageVersion);
  if ('image' in choice) return `node: ${choice.reason}; no other Node installed`;
  const installed = await o.toolchains.ensure(choice.install);
  await selectNode(view, installed.node);
  // The sandbox's own word, used only to refuse: an image whose login shell resets PATH would run another Node.
  const check = await o.sandbox.exec(o.containerId, ['bash', '-lc', 'command -v node; node --version'], {
    timeoutMs: 30_000,
  });
  const [where, version] = check.stdout.trim().split('\n');
  if (check.exitCode !== 0 || version?.trim() !== `v${installed.node}`) {
    throw failure(
      'ToolchainUnavailable',
      `Node ${installed.node} (${request.source} ${request.spec}) is mounted at ${NODE_BIN_IN_SANDBOX}, but a login shell in the sandbox runs ${where?.trim() || 'no node'} (${version?.trim() || `exit ${check.exitCode}`}): the image's /etc/profile must keep ${NODE_BIN_IN_SANDBOX} first on PATH (see README.md, "Bring your own sandbox image")`,
    );
  }
  return `node: ${installed.node} with npm ${installed.npm} for ${request.source} ${JSON.stringify(request.spec)}, mounted read-only at ${NODE_BIN_IN_SANDBOX}`;
}
