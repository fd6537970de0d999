/**
 * What the bench runs against: a Temporal dev server (TEMPORAL_ADDRESS when set,
 * else a local one from the installed CLI), drydock's real workers in this
 * process, and the stateless bench model server.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { ConfigError, loadConfig, type DrydockConfig } from '../workers/config';
import { readTemporalConnection } from '../activities/shared/temporal-connection';
import { runWorkersInProcess, WORKFLOWS_PATH } from '../workers/create-workers';
import { prebuiltWorkflowBundle, WORKFLOW_INTERCEPTOR_MODULES } from '../workers/workflow-bundle';
import { DRYDOCK_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { projectRoot } from '../activities/find-above';
import type { BenchCall } from './model-server';

const ROOT = projectRoot();
import { temporalBinary } from '../test/support/temporal-binary';
import { devServerDynamicConfigArgs } from '../test/support/dev-server-args';

/** A Temporal server and a client of it. */
export interface BenchTemporal {
  client: Client;
  connection: NativeConnection;
  namespace: string;
  address: string;
  /** The TEMPORAL_* variables that point a worker at this server (its config reads them, e.g. the client key to redact). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The environment without its TEMPORAL_* variables (so that a profile given to connectTemporal is the one read). */
export function withoutTemporalVars(environment: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment))
    if (!name.startsWith('TEMPORAL_') && value !== undefined) out[name] = value;
  return out;
}

function installRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already
  }
}

/** Connects to the server these TEMPORAL_* variables name (address or temporal.toml profile, TLS and API key: the workers' reader). */
export async function connectTemporal(vars: Record<string, string>): Promise<BenchTemporal> {
  installRuntime();
  const problems: string[] = [];
  const temporal = readTemporalConnection(vars, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const connection = await NativeConnection.connect(temporal.connectOptions);
  const clientConnection = await Connection.connect(temporal.connectOptions);
  return {
    client: new Client({ connection: clientConnection, namespace: temporal.namespace }),
    connection,
    namespace: temporal.namespace,
    address: temporal.address,
    env: vars,
    async close() {
      await clientConnection.close();
      await connection.close();
    },
  };
}

/** Connects to TEMPORAL_ADDRESS (or TEMPORAL_PROFILE's server, TLS and API key included), or starts a local dev server. */
export async function startTemporal(): Promise<BenchTemporal> {
  installRuntime();
  // TEMPORAL_ADDRESS or a temporal.toml profile: that server, with its TLS and API key (the workers' reader).
  if (process.env.TEMPORAL_ADDRESS || process.env.TEMPORAL_PROFILE) {
    const vars: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env))
      if (name.startsWith('TEMPORAL_') && value !== undefined) vars[name] = value;
    return connectTemporal(vars);
  }
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      searchAttributes: DRYDOCK_SEARCH_ATTRIBUTES,
      // As scripts/dev-server runs it (DRYDOCK_BENCH_DEFAULT_SERVER=1: the dev server's own defaults, for comparison).
      extraArgs: [
        '--log-level',
        'error',
        ...(process.env.DRYDOCK_BENCH_DEFAULT_SERVER === '1' ? [] : devServerDynamicConfigArgs()),
      ],
    },
  });
  const namespace = env.namespace ?? 'default';
  return {
    client: env.client,
    connection: env.nativeConnection,
    namespace,
    address: env.address,
    env: { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: namespace },
    close: () => env.teardown(),
  };
}

let bundle: Promise<WorkflowBundleWithSourceMap | { codePath: string }> | undefined;

/** drydock's workers running in this process. */
export interface BenchWorkers {
  config: DrydockConfig;
  stop(): Promise<void>;
}

/** Starts the agent and sandbox workers with these environment values (one workflow bundle for every start). */
export async function startBenchWorkers(temporal: BenchTemporal, vars: Record<string, string>): Promise<BenchWorkers> {
  bundle ??= Promise.resolve(
    prebuiltWorkflowBundle() ??
      bundleWorkflowCode({
        workflowsPath: WORKFLOWS_PATH,
        workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
        logger: new DefaultLogger('WARN'),
      }),
  );
  const workflowBundle = await bundle;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-bench-'));
  const config = loadConfig({
    ...withoutTemporalVars(process.env),
    ...temporal.env,
    DRYDOCK_DATA_DIR: dataDir,
    DRYDOCK_HOST_ID: 'bench',
    TEMPORAL_NAMESPACE: temporal.namespace,
    ...vars,
  });
  const workers = await runWorkersInProcess(temporal.connection, config, {}, { workflowBundle });
  return {
    config,
    async stop() {
      await workers.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo repository, committed on main in a temp folder. */
export function makeDemoRepo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-bench-repo-'));
  cpSync(path.join(ROOT, 'test', 'fixtures', 'demo-repo'), dir, { recursive: true });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
  };
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'initial'],
  ])
    execFileSync('git', args, { cwd: dir, env });
  return dir;
}

/** The demo goal's scripted turns (test/fixtures/scripts/demo.json) as bench calls. */
export function demoScript(): BenchCall[][] {
  const turns = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'scripts', 'demo.json'), 'utf8')) as {
    calls: BenchCall[];
  }[];
  return turns.map((t) => t.calls);
}
