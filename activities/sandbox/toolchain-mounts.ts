/**
 * How toolchains drydock installs on the sandbox host reach a sandbox: the host's
 * toolchain cache is mounted read-only at /opt/drydock/toolchains, and each
 * sandbox gets its own small "view" folder, mounted read-only at
 * /opt/drydock/toolchain, whose `node` symlink the host points at one cached
 * version once it knows what the goal asks for (after the container exists).
 * /opt/drydock/toolchain/node/bin is first on the sandbox's PATH; while the
 * view is empty, the image's own Node is used.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import { drydockCacheDir } from './runner-binary';

/** Where the host's toolchain cache appears in every sandbox (read-only). */
export const TOOLCHAINS_IN_SANDBOX = '/opt/drydock/toolchains';
/** Where a sandbox's own view appears (read-only); its `node` points into TOOLCHAINS_IN_SANDBOX. */
export const TOOLCHAIN_VIEW_IN_SANDBOX = '/opt/drydock/toolchain';
/** The bin folder of the Node a goal asked for, first on the sandbox's PATH. */
export const NODE_BIN_IN_SANDBOX = `${TOOLCHAIN_VIEW_IN_SANDBOX}/node/bin`;
/** The sandbox's PATH: the selected toolchain first, then the usual Debian folders. */
export const SANDBOX_PATH = `${NODE_BIN_IN_SANDBOX}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
/** Label on a container: the id of its toolchain view. */
export const TOOLCHAIN_VIEW_LABEL = 'drydock.toolchain-view';

/** A sandbox's view folder on the host. */
export interface ToolchainView {
  id: string;
  /** Host folder mounted at TOOLCHAIN_VIEW_IN_SANDBOX. */
  dir: string;
  /** Host folder of the installed Node versions, mounted at TOOLCHAINS_IN_SANDBOX/node. */
  nodeCache: string;
}

/** The host's toolchain cache (DRYDOCK_TOOLCHAINS_DIR, else `<drydock cache>/toolchains`). */
export function toolchainRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.DRYDOCK_TOOLCHAINS_DIR || path.join(drydockCacheDir(env), 'toolchains');
}

/** Host folder holding the installed Node versions, one folder per exact version. */
export function nodeCacheDir(root: string): string {
  return path.join(root, 'node');
}

/** True for an id toolchain views are made with (and so a safe path segment). */
export function isViewId(id: string): boolean {
  return /^v[0-9a-f]{16}$/.test(id);
}

/** Makes the toolchain folders of this host and an empty view for one new container; undefined when the engine is not local. */
export async function createToolchainView(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolchainView | undefined> {
  // A bind mount names a path on the engine's host: a remote engine cannot mount this host's cache.
  if (env.DOCKER_HOST && !env.DOCKER_HOST.startsWith('unix://')) return undefined;
  const id = `v${randomBytes(8).toString('hex')}`;
  const dir = path.join(root, 'views', id);
  await fs.mkdir(nodeCacheDir(root), { recursive: true, mode: 0o755 });
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  return { id, dir, nodeCache: nodeCacheDir(root) };
}

/** The view of a container, from its label; undefined for one made without a view. */
export function viewOfLabels(root: string, labels: Record<string, string> | undefined): ToolchainView | undefined {
  const id = labels?.[TOOLCHAIN_VIEW_LABEL];
  return id && isViewId(id) ? { id, dir: path.join(root, 'views', id), nodeCache: nodeCacheDir(root) } : undefined;
}

/** The read-only mounts that give a container the cache and its view. */
export function toolchainMounts(view: ToolchainView | undefined): Dockerode.MountSettings[] {
  if (!view) return [];
  return [
    { Type: 'bind', Source: view.nodeCache, Target: `${TOOLCHAINS_IN_SANDBOX}/node`, ReadOnly: true },
    { Type: 'bind', Source: view.dir, Target: TOOLCHAIN_VIEW_IN_SANDBOX, ReadOnly: true },
  ];
}

/** Points the view's `node` at a cached version (atomically: a new symlink renamed over the old); undefined: back to the image's Node. */
export async function selectNode(view: ToolchainView, version: string | undefined): Promise<void> {
  const link = path.join(view.dir, 'node');
  if (version === undefined) {
    await fs.rm(link, { force: true });
    return;
  }
  const temp = path.join(view.dir, `.node-${randomBytes(4).toString('hex')}`);
  await fs.symlink(`${TOOLCHAINS_IN_SANDBOX}/node/${version}`, temp);
  await fs.rename(temp, link);
}

/** Removes a view folder; one already gone is fine. */
export async function removeToolchainView(view: ToolchainView | undefined): Promise<void> {
  if (view) await fs.rm(view.dir, { recursive: true, force: true });
}

/** Removes the view folders no container carries (inUse: the view ids on containers), except ones made in the last graceMs; returns their ids. */
export async function sweepToolchainViews(root: string, inUse: Set<string>, graceMs = 5 * 60_000): Promise<string[]> {
  const dir = path.join(root, 'views');
  const removed: string[] = [];
  for (const id of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!isViewId(id) || inUse.has(id)) continue;
    const stat = await fs.stat(path.join(dir, id)).catch(() => undefined);
    if (!stat || Date.now() - stat.mtimeMs < graceMs) continue;
    await fs.rm(path.join(dir, id), { recursive: true, force: true });
    removed.push(id);
  }
  return removed;
}
