/**
 * Several sandbox hosts on this machine for tests: one `dockerd` per host id
 * with its own socket, data root, exec root, pidfile and bridge (`ddh<hash>`,
 * no iptables rules: never `--bridge none`, with which dockerd deletes the
 * machine's docker0 at start); the sandbox image is loaded into
 * each from the main engine (`docker save | docker load`, no registry). The
 * data roots are kept under /var/lib/drydock-test-hosts between runs (outside
 * the repository: jest would index an image's files), so the image is loaded
 * once; start() and stop() remove the engine's containers.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, rmSync } from 'fs';
import * as path from 'path';
import Dockerode from 'dockerode';

/** Where the engines keep their data between runs. */
const DATA_ROOT = '/var/lib/drydock-test-hosts';

/** One sandbox host's Docker engine. */
export interface DockerHost {
  readonly id: string;
  /** DOCKER_HOST of this engine (`unix:///…`). */
  readonly dockerHost: string;
  readonly docker: Dockerode;
  /** Whether the engine runs. */
  running(): boolean;
  /** Stops the engine (SIGTERM; its containers stop with it), as a host's engine that goes away. */
  kill(): Promise<void>;
  /** Starts a killed engine again on the same data root (its stopped containers are still there). */
  start(): Promise<void>;
  /** Removes every container of the engine and stops it. */
  stop(): Promise<void>;
}

/** Starts one engine per host id (in parallel) and loads `image` into each; stop them with stop(). */
export async function startDockerHosts(ids: string[], image: string): Promise<DockerHost[]> {
  return Promise.all(ids.map((id) => startDockerHost(id, image)));
}

/** Starts the engine of one host id and loads `image` into it when it lacks it. */
export async function startDockerHost(id: string, image: string): Promise<DockerHost> {
  const dir = path.join(DATA_ROOT, id);
  // A unix socket path must stay short: the sockets and exec root live under /run.
  const run = path.join('/run', `drydock-h-${id}`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(run, { recursive: true });
  const socket = path.join(run, 'docker.sock');
  const dockerHost = `unix://${socket}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  // A bridge of its own: with `--bridge none` dockerd deletes the machine's docker0 at start.
  const bridge = ensureHostBridge(id);
  const launch = async () => {
    rmSync(socket, { force: true });
    let log = '';
    child = spawn(
      'dockerd',
      [
        '--host',
        dockerHost,
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(run, 'exec'),
        '--pidfile',
        path.join(run, 'docker.pid'),
        '--bridge',
        bridge,
        '--iptables=false',
        '--ip6tables=false',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const proc = child;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const docker = new Dockerode({ socketPath: socket });
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        await docker.ping();
        return;
      } catch {
        if (proc.exitCode !== null || Date.now() > until)
          throw new Error(`dockerd of host ${id} did not start (exit ${proc.exitCode}):\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  await launch();
  const docker = new Dockerode({ socketPath: socket });
  const removeContainers = async () => {
    const all = await docker.listContainers({ all: true });
    await Promise.all(
      all.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
  };
  await removeContainers();
  const images = await docker.listImages({ filters: { reference: [image] } });
  if (images.length === 0) {
    execFileSync('bash', ['-c', `docker save "$IMAGE" | DOCKER_HOST="$TARGET" docker load -q`], {
      env: { ...process.env, IMAGE: image, TARGET: dockerHost },
      stdio: 'pipe',
    });
  }
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    if (!running()) return;
    child?.kill('SIGTERM');
    await exited;
  };
  return {
    id,
    dockerHost,
    docker,
    running,
    kill,
    async start() {
      if (!running()) await launch();
    },
    async stop() {
      // An engine stopped on the way is started again to remove what it holds.
      if (!running()) await launch();
      await removeContainers();
      await kill();
      rmSync(run, { recursive: true, force: true });
      spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
    },
  };
}

/** What a sandbox worker on one of these hosts is started with, besides its engine. */
export interface SandboxHostVarsOptions {
  /** The data dir all workers share (the artifact store, the host registry, the PR records). */
  dataDir: string;
  /** The sandbox image (loaded into each engine). */
  image: string;
  /** A folder for the hosts' toolchain caches (one under it per host). */
  work: string;
  /** How the worker reaches Temporal (TEMPORAL_ADDRESS…, or a profile's TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE). */
  temporal: Record<string, string>;
  /** DRYDOCK_SANDBOX_CAPACITY (default 3). */
  capacity?: number;
}

/** The environment of the sandbox worker of `engine`: its host id and engine, no warm pool, the shared data dir. */
export function sandboxHostVars(engine: DockerHost, o: SandboxHostVarsOptions): Record<string, string> {
  return {
    ...o.temporal,
    DRYDOCK_DATA_DIR: o.dataDir,
    DRYDOCK_HOST_ID: engine.id,
    DOCKER_HOST: engine.dockerHost,
    DRYDOCK_SANDBOX_CAPACITY: String(o.capacity ?? 3),
    DRYDOCK_POOL_SIZE: '0',
    DRYDOCK_SANDBOX_DISK: 'off',
    DRYDOCK_SANDBOX_IMAGE: o.image,
    DRYDOCK_TOOLCHAINS_DIR: path.join(o.work, `toolchains-${engine.id}`),
    // Each host's environment cache is its own (the data dir, the store, is shared).
    DRYDOCK_ENV_CACHE_DIR: path.join(o.work, `env-cache-${engine.id}`),
  };
}

/** Creates (once) the host's own bridge, `ddh<hash>` on 10.213.<n>.1/24, and returns its name. */
function ensureHostBridge(id: string): string {
  const hash = createHash('sha256').update(id).digest();
  const name = `ddh${hash.toString('hex').slice(0, 8)}`;
  if (spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status !== 0) {
    execFileSync('ip', ['link', 'add', name, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `10.213.${hash[0]! % 250}.1/24`, 'dev', name]);
    execFileSync('ip', ['link', 'set', name, 'up']);
  }
  return name;
}

/** True when this machine can run engines of its own (root and dockerd installed). */
export function canRunDockerHosts(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/sbin/dockerd');
}
