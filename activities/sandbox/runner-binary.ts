/**
 * Where the sandbox command runner's binary is (activities/sandbox/runner/, built by
 * scripts/build-runner into the cache, execute-only) and whether sandboxes can mount it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../find-above';

/** Where every sandbox finds the runner (a read-only bind mount of the host's binary). */
export const RUNNER_PATH_IN_SANDBOX = '/opt/drydock/drydock-runner';

/** The runner binary for these sources, or why sandboxes cannot use one. */
export type RunnerBinary = { path: string } | { path?: undefined; reason: string };

let sourceHash: string | undefined;
/** The binary this process no longer mounts (the engine could not find it) and why, if so. */
let refused: { path: string; reason: string } | undefined;

/** The folder of the runner's Go sources. */
export function runnerSourceDir(): string {
  return path.join(projectRoot(), 'activities', 'sandbox', 'runner');
}

/**
 * A short hash of the runner's sources, the same as scripts/build-runner's:
 * sha256 of `sha256sum` lines of go.mod, go.sum and *.go in byte order.
 */
export function runnerSourceHash(): string {
  if (sourceHash) return sourceHash;
  const dir = runnerSourceDir();
  const files = readdirSync(dir)
    .filter((name) => name === 'go.mod' || name === 'go.sum' || name.endsWith('.go'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const lines = files
    .map(
      (name) =>
        `${createHash('sha256')
          .update(readFileSync(path.join(dir, name)))
          .digest('hex')}  ${name}\n`,
    )
    .join('');
  sourceHash = createHash('sha256').update(lines).digest('hex').slice(0, 16);
  return sourceHash;
}

/** drydock's cache folder on this host (DRYDOCK_CACHE_DIR, else $XDG_CACHE_HOME/drydock or ~/.cache/drydock), as scripts/ use it. */
export function drydockCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DRYDOCK_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'drydock');
}

/** The path of the runner binary for the current sources: DRYDOCK_RUNNER_BIN, else the cache's, built or not. */
export function runnerBinaryPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DRYDOCK_RUNNER_BIN || path.join(drydockCacheDir(env), `runner-${runnerSourceHash()}`, 'drydock-runner');
}

/**
 * The runner binary sandboxes can mount: it must exist on this host, and the Docker
 * engine must be this host's (a bind mount names a path on the engine's host).
 */
export function mountableRunnerBinary(env: NodeJS.ProcessEnv = process.env): RunnerBinary {
  if (refused) return { reason: refused.reason };
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost && !dockerHost.startsWith('unix://')) {
    return {
      reason: `the Docker engine is not on this host (DOCKER_HOST=${dockerHost}), so the runner binary cannot be mounted into sandboxes`,
    };
  }
  const binary = runnerBinaryPath(env);
  if (!existsSync(binary)) {
    return {
      reason: env.DRYDOCK_RUNNER_BIN
        ? `DRYDOCK_RUNNER_BIN=${binary} does not exist`
        : `the runner binary for these sources is not built (${binary}); run npm run setup (it needs Go)`,
    };
  }
  return { path: binary };
}

/**
 * Stops mounting the runner binary in this process when the engine refused a container
 * because it cannot find the binary (the worker runs somewhere the engine's host is not,
 * e.g. in a container of its own). True when `err` was that refusal.
 */
export function refuseRunnerMountIf(err: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  if (!message.includes('bind source path does not exist')) return false;
  if (refused) return message.includes(refused.path);
  const binary = mountableRunnerBinary(env);
  if (!binary.path || !message.includes(binary.path)) return false;
  refused = {
    path: binary.path,
    reason: `the Docker engine cannot find ${binary.path} on its host, so the runner binary cannot be mounted into sandboxes`,
  };
  return true;
}

let building: Promise<RunnerBinary> | undefined;

/**
 * The mountable runner binary, built first (once per process, with scripts/build-runner)
 * when it is missing and Go is installed; otherwise why there is none.
 */
export function ensureRunnerBinary(env: NodeJS.ProcessEnv = process.env): Promise<RunnerBinary> {
  const found = mountableRunnerBinary(env);
  if (found.path || env.DRYDOCK_RUNNER_BIN || (env.DOCKER_HOST && !env.DOCKER_HOST.startsWith('unix://')))
    return Promise.resolve(found);
  building ??= promisify(execFile)('bash', [path.join(projectRoot(), 'scripts', 'build-runner')], {
    env,
    timeout: 300_000,
  }).then(
    () => mountableRunnerBinary(env),
    (err: Error & { stderr?: string }) => ({
      reason: `the runner binary could not be built: ${(err.stderr || err.message).trim().split('\n').pop()}`,
    }),
  );
  return building;
}
