/**
 * Builds drydock's workers: the agent worker (workflows, model calls,
 * publishing) and the sandbox worker (one per Docker host: the shared
 * provisioning queue and the host's own queue).
 */
import * as os from 'os';
import * as path from 'path';
import Dockerode from 'dockerode';
import { failure } from '../workflows/failures';
import { Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createAgentActivities, createSandboxActivities } from '../activities';
import { EnvironmentCache } from '../activities/environment/environment-cache';
import { CHANGE_LIMIT_DEFAULTS } from '../activities/host';
import { createCodeHostSelector, createGitAccessResolver } from '../activities/codehost/select-code-host';
import type { CodeHost } from '../activities/codehost/code-host';
import { PullRequestRecords } from '../activities/codehost/pr-record';
import type { ModelClient } from '../activities/model/model-client';
import { createModelClient, type ModelClientOptions } from '../activities/model/create-model-client';
import { modelBaseUrlFor } from '../activities/model/endpoints';
import { endpointFor, missingKeyProblems } from '../activities/model/profiles';
import { PromptCalibration } from '../activities/model/prompt-calibration';
import { DockerSandbox } from '../activities/sandbox/docker-sandbox';
import { SandboxPool } from '../activities/sandbox/sandbox-pool';
import { resolveSandboxImage } from '../activities/sandbox/image-tag';
import type { Sandbox } from '../activities/sandbox/sandbox';
import { FsArtifactStore } from '../activities/store/fs-store';
import { prebuiltWorkflowBundle, WORKFLOW_INTERCEPTOR_MODULES } from './workflow-bundle';
import { modelMetricsInterceptor } from './model-metrics-interceptor';
import { meteredPool, meteredSandbox, meteredStore, reportHostGauges, WarmIds } from './metered-ports';
import type { ArtifactStore } from '../activities/store/artifact-store';
import { AGENT_QUEUE, SANDBOX_QUEUE, sandboxHostQueue } from '../workflows/queues';
import type { ModelSpec } from '../workflows/types';
import { ConfigError, type DrydockConfig } from './config';
import { redactingStore, securityWorkerOptions, workerSecretValues } from './worker-security';
import { DockerNetworks } from '../activities/sandbox/docker-networks';
import { EgressGateways } from '../activities/sandbox/egress-gateway';
import { SandboxServices } from '../activities/sandbox/services';
import { SandboxReaper } from '../activities/sandbox/reaper';
import { dockerClientFor } from '../activities/sandbox/docker-engine';
import { sandboxPolicyFor } from './sandbox-policy-setup';
import { NodeToolchains } from '../activities/environment/node-toolchains';
import { toolchainRoot } from '../activities/sandbox/toolchain-mounts';
import { createSandboxHostActivities } from './host-registry';
import { HostReporter } from './host-reporter';
import { HostSlots } from './host-slots';
import { advertisedEnvironments, placeEnvironment } from './environment-placement';
import { EnvironmentWarmPool } from './environment-warm-pool';

export { isLocalEngine, sandboxDisksFor, sandboxDisksRoot } from './sandbox-policy-setup';

/** Parts a test or an embedding program may replace. */
export interface WorkerOverrides {
  store?: ArtifactStore;
  sandbox?: Sandbox;
  codeHost?: CodeHost;
  /** Extra Worker.create options (e.g. a prebuilt workflow bundle). */
  workerOptions?: Partial<WorkerOptions>;
}

/** The folder (or module) holding every workflow, for the bundler. */
export const WORKFLOWS_PATH = require.resolve(path.join(__dirname, '..', 'workflows'));

/** The prebuilt workflow bundle when there is a fresh one (checked once per process; null: none). */
let prebuilt: { codePath: string } | null | undefined;

/** The agent worker's workflow code: the prebuilt bundle, else the sources (webpack at start). */
function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (prebuilt === undefined) prebuilt = prebuiltWorkflowBundle() ?? null;
  return prebuilt ? { workflowBundle: prebuilt } : { workflowsPath: WORKFLOWS_PATH };
}

/** The store every worker of this machine shares: DRYDOCK_DATA_DIR/artifacts. */
export function artifactStoreFor(config: DrydockConfig): ArtifactStore {
  return new FsArtifactStore(path.join(config.dataDir, 'artifacts'));
}

/** Creates the agent worker on `drydock-agent`. */
export async function createAgentWorker(
  connection: NativeConnection,
  config: DrydockConfig,
  overrides: WorkerOverrides = {},
): Promise<Worker> {
  // A profile of the operator's file whose key variable is unset fails the worker now, not a goal later.
  const missingKeys = missingKeyProblems(config.modelProfiles, (v) => config.modelKeys[v]);
  if (missingKeys.length > 0) throw new ConfigError(missingKeys);
  const clients = new Map<string, ModelClient>();
  const store = redactingStore(overrides.store ?? artifactStoreFor(config), config);
  const activities = createAgentActivities({
    store,
    profileFor: (name) => config.modelProfiles.get(name),
    modelProfiles: config.modelProfiles,
    modelsFile: config.modelsFile,
    modelKeySet: (variable) =>
      variable === 'OPENAI_API_KEY' ? config.openaiApiKey !== undefined : config.modelKeys[variable] !== undefined,
    calibration: new PromptCalibration(store),
    // GitHub repositories go to GitHub when the worker has a GitHub credential; the rest stay local.
    codeHostFor: overrides.codeHost ? () => overrides.codeHost as CodeHost : createCodeHostSelector(config),
    pullRequestRecords: new PullRequestRecords(path.join(config.dataDir, 'prs')),
    defaultModel: config.defaultModel,
    knownSecrets: () => workerSecretValues(config),
    temporalUiUrl: config.temporalUiUrl,
    namespace: config.namespace,
    modelClientFor(model: ModelSpec | undefined): ModelClient {
      // Endpoints are the operator's: a goal's own base URL is refused unless DRYDOCK_MODEL_BASE_URLS lists it.
      const allowedGoalUrl = model?.baseUrl
        ? modelBaseUrlFor(model, { defaultBaseUrl: config.openaiBaseUrl, allowedBaseUrls: config.modelBaseUrls })
        : undefined;
      // A goal picks a profile by name; endpoints and keys are the operator's (DRYDOCK_MODELS, else the worker's own).
      const profile = config.modelProfiles.get(model?.name ?? config.defaultModel);
      const endpoint = endpointFor(
        profile,
        { baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey, api: config.modelApi },
        config.modelKeys,
        allowedGoalUrl,
      );
      const { baseUrl } = endpoint;
      if (!baseUrl && !endpoint.apiKey) {
        throw failure(
          'ModelNotConfigured',
          'no model endpoint configured on the agent worker: set OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI endpoint)',
        );
      }
      let client = clients.get(endpoint.cacheKey);
      if (!client) {
        // A profile shapes requests on its own endpoint or OpenAI's; a built-in name on another endpoint sends plain requests.
        const shaping = profile && (profile.ownEndpoint || baseUrl === undefined) ? profile : undefined;
        client = createModelClient({
          api: endpoint.api,
          apiKey: endpoint.apiKey,
          baseUrl,
          ...(shaping?.reasoningEffort !== undefined
            ? { reasoningEffort: shaping.reasoningEffort as ModelClientOptions['reasoningEffort'] }
            : shaping
              ? { encryptedReasoning: false }
              : {}),
          ...(shaping?.parallelToolCalls !== undefined ? { parallelToolCalls: shaping.parallelToolCalls } : {}),
          ...(shaping?.extraBody ? { extraBody: shaping.extraBody } : {}),
        });
        clients.set(endpoint.cacheKey, client);
      }
      return client;
    },
  });
  const code = workflowCode();
  return Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: AGENT_QUEUE,
    ...code,
    // `drydock hosts` reads the sandbox hosts' reports and writes drain marks through these (host-registry.ts).
    activities: { ...activities, ...createSandboxHostActivities(store) },
    ...withInterceptors(securityWorkerOptions(config), {
      activity: [modelMetricsInterceptor(config.defaultModel)],
      // A bundle carries its interceptor modules (workflow-bundle.ts); bundling at start adds them here.
      workflowModules:
        'workflowsPath' in code && !overrides.workerOptions?.workflowBundle ? WORKFLOW_INTERCEPTOR_MODULES : [],
    }),
    ...overrides.workerOptions,
  });
}

/** Creates the sandbox workers of this host: the shared provisioning queue and `drydock-sandbox-<host>`. */
export async function createSandboxWorkers(
  connection: NativeConnection,
  config: DrydockConfig,
  overrides: WorkerOverrides = {},
): Promise<Worker[]> {
  const image = config.sandboxImage ?? (await resolveSandboxImage());
  const docker = dockerFor(config);
  // Notes of the host's set-up go to the worker's log (workers/runtime.ts), not the console.
  const warn = (message: string) => Runtime.instance().logger.warn(message);
  // The operator's sandbox policy, resolved once: sandboxes, the warm pool and services all run under it.
  // The pool and services serve only drydock's own DockerSandbox; a replaced sandbox has none.
  const { policy, disks } = overrides.sandbox
    ? { policy: undefined, disks: undefined }
    : await sandboxPolicyFor(config, docker, warn);
  const networks = new DockerNetworks(docker);
  const pool = policy
    ? new SandboxPool({
        docker,
        image,
        host: config.hostId,
        size: config.poolSize,
        idleSeconds: config.poolIdleSeconds,
        policy,
        disks,
      })
    : undefined;
  const environmentCache =
    overrides.sandbox || config.envCache.bytes === 0
      ? undefined
      : new EnvironmentCache({
          dir: config.envCache.dir,
          maxAgeHours: config.envCache.hours,
          maxBytes: config.envCache.bytes,
        });
  const imageId = async () => (await docker.getImage(image).inspect()).Id;
  // Warm environments (environment-warm-pool.ts): DRYDOCK_WARM_REPOS repositories kept started from their cache.
  const warmEnvironments =
    policy && environmentCache && config.warmRepos > 0
      ? new EnvironmentWarmPool({
          docker,
          // The restore's own port on the engine (it only puts archives in).
          sandbox: new DockerSandbox({ docker, policy, disks, warn }),
          store: overrides.store ?? artifactStoreFor(config),
          cache: environmentCache,
          image,
          imageId,
          host: config.hostId,
          count: config.warmRepos,
          idleSeconds: config.poolIdleSeconds,
          policy,
          disks,
          warn,
        })
      : undefined;
  // Measured: ready time (cold or warm from the pool), checkpoint bytes (metered-ports.ts).
  const warm = new WarmIds();
  const sandbox = meteredSandbox(
    overrides.sandbox ??
      new DockerSandbox({
        docker,
        pool: pool ? meteredPool(pool, warm) : undefined,
        warmEnvironments: warmEnvironments ? meteredPool(warmEnvironments, warm) : undefined,
        policy,
        disks,
        warn,
      }),
    config.hostId,
    warm,
  );
  const store = meteredStore(redactingStore(overrides.store ?? artifactStoreFor(config), config));
  // The agent phase's egress proxies (internet allowlists) run in this worker, on each goal's own network.
  const egress = overrides.sandbox ? undefined : new EgressGateways({ docker, networks, store });
  const activities = createSandboxActivities({
    sandbox,
    store,
    host: config.hostId,
    image,
    mirrorsDir: path.join(config.dataDir, 'mirrors-sandbox'),
    gitAccessFor: createGitAccessResolver(config),
    networks: overrides.sandbox ? undefined : networks,
    services: policy ? new SandboxServices(docker, networks, { policy }) : undefined,
    egress,
    setupSecrets: config.security.setupSecrets,
    toolchains: overrides.sandbox ? undefined : new NodeToolchains({ root: toolchainRoot() }),
    // The environment cache (environment-cache.ts): post-setup snapshots on this host; off with DRYDOCK_ENV_CACHE_BYTES=0.
    environmentCache,
    // Goals go to the host that holds their cached environment (environment-placement.ts).
    placeEnvironment: (key) => placeEnvironment(overrides.store ?? artifactStoreFor(config), key),
    changeLimits: {
      ...CHANGE_LIMIT_DEFAULTS,
      ...(config.security.maxCloneBytes !== undefined ? { maxCloneBytes: config.security.maxCloneBytes } : {}),
      ...(config.security.maxChangeBytes !== undefined ? { maxChangeBytes: config.security.maxChangeBytes } : {}),
    },
  });
  // Placement (host-placement.ts): this host polls the shared queue only while it is the least loaded with room.
  // A replaced sandbox (tests) has no engine to count on: it polls as before.
  const reporter: HostReporter | undefined = overrides.sandbox
    ? undefined
    : new HostReporter({
        host: config.hostId,
        docker,
        store: overrides.store ?? artifactStoreFor(config),
        capacity: config.sandboxCapacity,
        provisioning: (): number => slots?.provisioning ?? 0,
        warn,
        environments: environmentCache ? () => advertisedEnvironments(environmentCache, imageId) : undefined,
      });
  const slots: HostSlots | undefined = reporter
    ? new HostSlots({ admit: (provisioning) => reporter.admit(provisioning), onChange: () => void reporter.report() })
    : undefined;
  await reporter?.checkUnique();
  if (reporter) {
    // A provision that reaches a full host (every host was full) waits here for room, heartbeating.
    const provision = activities.provisionSandbox;
    activities.provisionSandbox = async (input) => {
      await reporter.waitForRoom(input.goalId, () => Context.current().heartbeat());
      return provision(input);
    };
  }
  const workers = await Promise.all(
    [SANDBOX_QUEUE, sandboxHostQueue(config.hostId)].map((taskQueue) =>
      Worker.create({
        connection,
        namespace: config.namespace,
        taskQueue,
        activities,
        // The host id in the identity: `drydock doctor` finds each host's own queue from the shared queue's pollers.
        identity: sandboxWorkerIdentity(config.hostId),
        ...(slots && taskQueue === SANDBOX_QUEUE ? { tuner: placementTuner(slots) } : {}),
        ...securityWorkerOptions(config),
        ...overrides.workerOptions,
      }),
    ),
  );
  if (reporter) {
    await reporter.start();
    stopWhenAllStop(workers, () => reporter.stop());
  }
  if (pool) await startPoolWith(pool, workers);
  if (warmEnvironments) {
    warmEnvironments.start();
    stopWhenAllStop(workers, () => warmEnvironments.close());
  }
  const gauges = reportHostGauges(config.hostId, () => pool?.size ?? 0);
  stopWhenAllStop(workers, async () => gauges.stop());
  if (egress) stopWhenAllStop(workers, () => egress.stopAll());
  if (!overrides.sandbox) {
    // Removes this host's containers of closed goals: at start, then every minute (sandbox-reaper.ts).
    const reaper = new SandboxReaper({
      docker,
      client: new Client({ connection, namespace: config.namespace }),
      host: config.hostId,
      store: overrides.store ?? artifactStoreFor(config),
      everyMs: 60_000,
      disks,
      afterRemove: egress ? (name) => egress.close(name) : undefined,
    });
    reaper.start();
    stopWhenAllStop(workers, () => reaper.stop());
  }
  return workers;
}

/** A sandbox worker's identity: Temporal's default (`pid@hostname`) and `sandbox-host=<host id>`. */
export function sandboxWorkerIdentity(hostId: string): string {
  return `${process.pid}@${os.hostname()} sandbox-host=${hostId}`;
}

/** The shared queue's tuner: activity slots from the host's placement, fixed slots for the kinds it does not poll. */
function placementTuner(slots: HostSlots): NonNullable<WorkerOptions['tuner']> {
  const fixed = { type: 'fixed-size' as const, numSlots: 10 };
  return {
    activityTaskSlotSupplier: slots,
    workflowTaskSlotSupplier: fixed,
    localActivityTaskSlotSupplier: fixed,
    nexusTaskSlotSupplier: fixed,
  };
}

/** Worker options with more interceptors after those already there. */
function withInterceptors(
  options: Partial<WorkerOptions>,
  more: NonNullable<WorkerOptions['interceptors']>,
): Partial<WorkerOptions> {
  const have = options.interceptors ?? {};
  return {
    ...options,
    interceptors: {
      ...have,
      activity: [...(have.activity ?? []), ...(more.activity ?? [])],
      workflowModules: [...(have.workflowModules ?? []), ...(more.workflowModules ?? [])],
    },
  };
}

/** Calls `stop` when the last of these workers stops running. */
function stopWhenAllStop(workers: Worker[], stop: () => Promise<void>): void {
  let running = workers.length;
  for (const worker of workers) {
    const run = worker.run.bind(worker);
    worker.run = async () => {
      try {
        return await run();
      } finally {
        if (--running === 0) await stop();
      }
    };
  }
}

/** Fills the pool now and empties it when the last of these workers stops running. */
async function startPoolWith(pool: SandboxPool, workers: Worker[]): Promise<void> {
  await pool.start();
  stopWhenAllStop(workers, () => pool.close());
}

/** A dockerode client for DOCKER_HOST (or the local socket). */
export function dockerFor(config: DrydockConfig): Dockerode {
  return dockerClientFor(config.dockerHost);
}

/** Drydock's workers running in this process, until stop() (tests, the bench). */
export interface InProcessWorkers {
  stop(): Promise<void>;
}

/**
 * Creates the agent worker and this host's sandbox workers and runs them in
 * this process. `agentWorkerOptions` go to the agent worker only (e.g. a
 * prebuilt workflow bundle).
 */
export async function runWorkersInProcess(
  connection: NativeConnection,
  config: DrydockConfig,
  overrides: WorkerOverrides = {},
  agentWorkerOptions: Partial<WorkerOptions> = {},
): Promise<InProcessWorkers> {
  const workers: Worker[] = [
    await createAgentWorker(connection, config, {
      ...overrides,
      workerOptions: { ...overrides.workerOptions, ...agentWorkerOptions },
    }),
    ...(await createSandboxWorkers(connection, config, overrides)),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}

/** Runs workers until SIGINT/SIGTERM, then shuts them down; rejects when one fails. */
export async function runUntilSignal(workers: Worker[]): Promise<void> {
  const stop = () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await Promise.all(workers.map((w) => w.run()));
}
