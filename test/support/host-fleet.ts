/**
 * A fleet of sandbox hosts for e2e tests: one Docker engine per host id
 * (docker-hosts.ts), a sandbox worker process per host sharing one data dir
 * (the artifact store where hosts report), an in-process agent worker, a gated
 * model (gated-model.ts), and what the tests ask of them: the goal sandboxes on
 * each engine, waiting for a condition, a `drydock` command.
 */
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../../workers/config';
import { createAgentWorker } from '../../workers/create-workers';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { startTestEnvironment } from './test-env';
import { buildWorkers, removeBuild, startWorkerProcess, type WorkerProcess } from './worker-process';
import { sandboxHostVars, startDockerHosts, type DockerHost } from './docker-hosts';
import { startGatedModel, type GatedModel } from './gated-model';
import { removeGitRepos } from './git-fixtures';
import { runCli, type CliRun } from './cli';

/** What callers pass to startHostFleet. */
export interface HostFleetOptions {
  /** A tag of this run (names the workers' build). */
  run: string;
  /** Host ids: an engine each. */
  hosts: string[];
  /** Hosts whose sandbox worker starts at once (all when absent); startHost() starts the others. */
  startNow?: string[];
  /** Goal keys of the gated model the agent worker may call (`g0`…). */
  goalKeys: string[];
  /** More variables of every sandbox worker. */
  hostVars?: Record<string, string>;
}

/** A running fleet. */
export interface HostFleet {
  env: TestWorkflowEnvironment;
  model: GatedModel;
  /** The data dir every worker shares. */
  dataDir: string;
  engines: DockerHost[];
  workers: Map<string, WorkerProcess>;
  image: string;
  /** The workers' build (startWorkerProcess's first argument). */
  build: string;
  /** The environment of a host's sandbox worker. */
  hostVars(engine: DockerHost): Record<string, string>;
  /** Starts the sandbox worker of a host (its engine runs already). */
  startHost(id: string): Promise<WorkerProcess>;
  /** Goal sandboxes (not verification ones) on each running engine: the goal ids, by host. */
  sandboxesByHost(): Promise<Map<string, string[]>>;
  /** Polls `ok` every 250 ms until it holds; fails naming `what` and where the sandboxes are. */
  waitFor(what: string, ok: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Runs `drydock` against the fleet's server. */
  cli(...args: string[]): Promise<CliRun>;
  /** Workflow ids to terminate at stop() if still open. */
  started: string[];
  stop(): Promise<void>;
}

/** Starts the engines, the server, the model, the agent worker and the sandbox workers. */
export async function startHostFleet(o: HostFleetOptions): Promise<HostFleet> {
  const image = await resolveSandboxImage();
  const build = buildWorkers(`fleet-${o.run}`);
  const engines = await startDockerHosts(o.hosts, image);
  const env = await startTestEnvironment();
  const model = await startGatedModel();
  const work = mkdtempSync(path.join(os.tmpdir(), 'drydock-fleet-'));
  const dataDir = path.join(work, 'data');
  const config = loadConfig({
    DRYDOCK_DATA_DIR: dataDir,
    DRYDOCK_HOST_ID: 'agent',
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    OPENAI_API_KEY: 'scripted-key',
    DRYDOCK_MODEL: 'scripted',
    DRYDOCK_MODEL_BASE_URLS: o.goalKeys.map((k) => model.urlFor(k)).join(','),
  });
  const agentWorkers: Worker[] = [await createAgentWorker(env.nativeConnection, config)];
  const agentDone = Promise.all(agentWorkers.map((w) => w.run()));
  const workers = new Map<string, WorkerProcess>();
  const started: string[] = [];

  const hostVars = (engine: DockerHost): Record<string, string> => ({
    ...sandboxHostVars(engine, {
      dataDir,
      image,
      work,
      temporal: { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' },
    }),
    ...o.hostVars,
  });
  const startHost = async (id: string) => {
    const engine = engines.find((e) => e.id === id);
    if (!engine) throw new Error(`no engine for host ${id}`);
    const w = await startWorkerProcess(build, 'sandbox-worker', id, hostVars(engine));
    workers.set(id, w);
    return w;
  };
  for (const id of o.startNow ?? o.hosts) await startHost(id);

  const sandboxesByHost = async () => {
    const out = new Map<string, string[]>();
    for (const e of engines) {
      if (!e.running()) {
        out.set(e.id, []);
        continue;
      }
      const list = await e.docker
        .listContainers({ filters: { label: ['drydock.managed=true'] } })
        .catch(() => [] as { Labels: Record<string, string> }[]);
      out.set(
        e.id,
        list
          .filter((c) => c.Labels['drydock.role'] !== 'verify' && c.Labels['drydock.goal'])
          .map((c) => c.Labels['drydock.goal']!)
          .sort(),
      );
    }
    return out;
  };

  return {
    env,
    model,
    dataDir,
    engines,
    workers,
    image,
    build,
    hostVars,
    startHost,
    sandboxesByHost,
    started,
    async waitFor(what, ok, timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      while (!(await ok())) {
        if (Date.now() > until)
          throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...(await sandboxesByHost())])}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    cli: (...args) => runCli(args, { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' }),
    async stop() {
      model.releaseAll();
      // Goals a failed run left open end here, so that no result wait outlives the server.
      for (const id of started)
        await env.client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined);
      for (const w of workers.values()) await w.kill('SIGTERM');
      for (const w of agentWorkers) if (w.getState() === 'RUNNING') w.shutdown();
      await agentDone;
      for (const e of engines) await e.stop();
      await model.close();
      await env.teardown();
      removeGitRepos();
      rmSync(work, { recursive: true, force: true });
      removeBuild(build);
    },
  };
}
