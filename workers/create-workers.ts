/**
 * Builds drydock's workers: the agent worker (workflows, model calls,
 * publishing) and the sandbox worker (one per Docker host: the shared
 * provisioning queue and the host's own queue).
 */
import * as path from 'path';
import Dockerode from 'dockerode';
import { ApplicationFailure } from '@temporalio/activity';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createAgentActivities, createSandboxActivities } from '../activities';
import { LocalGitHost } from '../activities/codehost/local-git-host';
import type { CodeHost } from '../activities/codehost/code-host';
import type { ModelClient } from '../activities/model/model-client';
import { OpenAIModelClient } from '../activities/model/openai-client';
import { DockerSandbox } from '../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../activities/sandbox/image-tag';
import type { Sandbox } from '../activities/sandbox/sandbox';
import { FsArtifactStore } from '../activities/store/fs-store';
import type { ArtifactStore } from '../activities/store/artifact-store';
import { AGENT_QUEUE, SANDBOX_QUEUE, sandboxHostQueue } from '../workflows/queues';
import type { ModelSpec } from '../workflows/types';
import type { DrydockConfig } from './config';

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

/** The store every worker of this machine shares: DRYDOCK_DATA_DIR/artifacts. */
export function artifactStoreFor(config: DrydockConfig): ArtifactStore {
  return new FsArtifactStore(path.join(config.dataDir, 'artifacts'));
}

/** Creates the agent worker on `drydock-agent`. */
export async function createAgentWorker(connection: NativeConnection, config: DrydockConfig, overrides: WorkerOverrides = {}): Promise<Worker> {
  const clients = new Map<string, ModelClient>();
  const activities = createAgentActivities({
    store: overrides.store ?? artifactStoreFor(config),
    codeHost: overrides.codeHost ?? new LocalGitHost({ dataDir: config.dataDir }),
    defaultModel: config.defaultModel,
    temporalUiUrl: config.temporalUiUrl,
    namespace: config.namespace,
    modelClientFor(model: ModelSpec | undefined): ModelClient {
      const baseUrl = model?.baseUrl ?? config.openaiBaseUrl;
      if (!baseUrl && !config.openaiApiKey) {
        throw ApplicationFailure.nonRetryable(
          'no model endpoint configured on the agent worker: set OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI endpoint)',
          'ModelNotConfigured',
        );
      }
      const key = baseUrl ?? 'openai';
      let client = clients.get(key);
      if (!client) {
        client = new OpenAIModelClient({ apiKey: config.openaiApiKey, baseUrl });
        clients.set(key, client);
      }
      return client;
    },
  });
  return Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: AGENT_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities,
    ...overrides.workerOptions,
  });
}

/** Creates the sandbox workers of this host: the shared provisioning queue and `drydock-sandbox-<host>`. */
export async function createSandboxWorkers(connection: NativeConnection, config: DrydockConfig, overrides: WorkerOverrides = {}): Promise<Worker[]> {
  const sandbox = overrides.sandbox ?? new DockerSandbox({ docker: dockerFor(config) });
  const activities = createSandboxActivities({
    sandbox,
    store: overrides.store ?? artifactStoreFor(config),
    host: config.hostId,
    image: config.sandboxImage ?? (await resolveSandboxImage()),
  });
  return Promise.all(
    [SANDBOX_QUEUE, sandboxHostQueue(config.hostId)].map((taskQueue) =>
      Worker.create({ connection, namespace: config.namespace, taskQueue, activities, ...overrides.workerOptions }),
    ),
  );
}

/** A dockerode client for DOCKER_HOST (or the local socket). */
export function dockerFor(config: DrydockConfig): Dockerode {
  if (!config.dockerHost) return new Dockerode();
  const url = new URL(config.dockerHost);
  if (url.protocol === 'unix:') return new Dockerode({ socketPath: url.pathname });
  return new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
}

/** Runs workers until SIGINT/SIGTERM, then shuts them down; rejects when one fails. */
export async function runUntilSignal(workers: Worker[]): Promise<void> {
  const stop = () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await Promise.all(workers.map((w) => w.run()));
}
