/**
 * What every group of sandbox-side activities shares: the worker's
 * dependencies, the size limits, the excludes, and the wrapper that turns a
 * lost container into a SandboxLost failure and heartbeats while it runs.
 */
import { Context } from '@temporalio/activity';
import type { ArtifactStore } from '../store/artifact-store';
import type { GitAccessResolver } from '../codehost/select-code-host';
import { setupNetworkName, type DockerNetworks } from '../sandbox/docker-networks';
import type { SandboxServices } from '../sandbox/services';
import type { Sandbox } from '../sandbox/sandbox';
import { SandboxNotFoundError, SandboxNotRunningError } from '../sandbox/errors';
import { SANDBOX_LOST, failure } from '../../workflows/failures';
import type { NodeToolchains } from '../environment/node-toolchains';
import type { EgressGateways } from '../sandbox/egress-gateway';
import type { EnvironmentCache } from '../environment/environment-cache';
import type { EnvironmentPlacement } from '../../workflows/sandbox-hosts';

/** What the sandbox activities need. */
export interface SandboxActivityDeps {
  sandbox: Sandbox;
  store: ArtifactStore;
  /** This worker's host name: its queue is `drydock-sandbox-<host>`. */
  host: string;
  /** The sandbox image tag. */
  image: string;
  /** How to clone repositories that need a credential (GitHub); resolved on this worker, never sent into the sandbox. */
  gitAccessFor?: GitAccessResolver;
  /** Where bare mirrors of repositories live (fetched per goal); without it each goal clones from scratch. */
  mirrorsDir?: string;
  /** Network operations for the setup phase and isolation (phases.ts). */
  networks?: DockerNetworks;
  /** DRYDOCK_SETUP_SECRET_<NAME> values, by NAME, for setup scripts. */
  setupSecrets?: Record<string, string>;
  /** Service sidecars (.drydock/environment.json → services); without them a goal that declares services fails. */
  services?: SandboxServices;
  /** Size limits of what crosses the sandbox boundary (CHANGE_LIMIT_DEFAULTS when absent). */
  changeLimits?: ChangeLimits;
  /** This host's Node versions for goals that ask for one (toolchains.node); without them such a goal fails with ToolchainUnavailable. */
  toolchains?: NodeToolchains;
  /** Egress proxies of the agent phase (.drydock/environment.json → internet); without them an allowlist fails with InternetNotSupported. */
  egress?: EgressGateways;
  /** This host's environment cache (environment-cache.ts); without it every setup runs cold. */
  environmentCache?: EnvironmentCache;
  /** Which live host holds the environment of a placement key (workers/environment-placement.ts); without it goals are not placed by their cache. */
  placeEnvironment?: (key: string) => Promise<EnvironmentPlacement>;
}

/** Limits on what crosses the sandbox boundary. */
export interface ChangeLimits {
  /** DRYDOCK_MAX_CLONE_BYTES: most bytes a repository's files may add up to at the base commit. */
  maxCloneBytes: number;
  /** DRYDOCK_MAX_CHANGE_BYTES: most bytes of new or changed file content one change may hold. */
  maxChangeBytes: number;
  /** Most bytes of workspace files read out of a sandbox to make its change. */
  maxWorkspaceBytes: number;
}

/** The limits used when the operator sets none. */
export const CHANGE_LIMIT_DEFAULTS: ChangeLimits = {
  maxCloneBytes: 2 * 1024 ** 3,
  maxChangeBytes: 64 * 1024 ** 2,
  maxWorkspaceBytes: 32 * 1024 ** 3,
};

/** Untracked paths left out of every change: caches that checks write. */
export const LOCAL_EXCLUDES = [
  '__pycache__/',
  '*.pyc',
  '.pytest_cache/',
  '.mypy_cache/',
  '.ruff_cache/',
  'node_modules/',
  '.npm/',
  '.cache/',
];

/** Milliseconds between heartbeats of a host activity (the SDK throttles what reaches the server). */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * Wraps an activity that works on a container: it heartbeats while it runs (so a
 * dead sandbox worker is noticed within the heartbeat timeout), and a container
 * that is gone or stopped becomes a non-retryable SandboxLost failure at once.
 */
export function onContainer<I, R>(run: (input: I) => Promise<R>): (input: I) => Promise<R> {
  return async (input: I) => {
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
    try {
      return await run(input);
    } catch (err) {
      if (err instanceof SandboxNotFoundError || err instanceof SandboxNotRunningError) {
        throw failure(SANDBOX_LOST, err.message, { cause: err });
      }
      // The host's Docker engine is not there (stopped, its socket gone): its containers stopped with it.
      const engineDown = engineDownReason(err);
      if (engineDown) throw failure(SANDBOX_LOST, engineDown, { cause: err as Error });
      throw err;
    } finally {
      clearInterval(timer);
    }
  };
}

/** Why the Docker engine cannot be reached, when `err` is a refused or missing engine socket; else undefined. */
export function engineDownReason(err: unknown): string | undefined {
  const e = err as { code?: unknown; syscall?: unknown; address?: unknown; message?: unknown } | undefined;
  if (e?.syscall !== 'connect' || (e.code !== 'ENOENT' && e.code !== 'ECONNREFUSED')) return undefined;
  return `the Docker engine of this sandbox host does not answer (${String(e.message)}): its containers stopped with it`;
}

/** Runs `work`, heartbeating every second while it runs when inside an activity (outside one, it just runs). */
export async function whileHeartbeating<R>(work: () => Promise<R>): Promise<R> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined;
  }
  const timer = ctx ? setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** What the groups of sandbox activities are made from. */
export interface HostContext {
  deps: SandboxActivityDeps;
  limits: ChangeLimits;
  /** Removes a container with its setup network, services and egress proxy; gone is fine. */
  removeSandbox(containerId: string, containerName: string): Promise<void>;
}

/** The shared context of the sandbox activities. */
export function hostContext(deps: SandboxActivityDeps): HostContext {
  return {
    deps,
    limits: deps.changeLimits ?? CHANGE_LIMIT_DEFAULTS,
    async removeSandbox(containerId, containerName) {
      await deps.sandbox.destroy(containerId);
      await deps.networks?.remove(setupNetworkName(containerName));
      await deps.services?.remove(containerName);
      await deps.egress?.close(containerName);
    },
  };
}
