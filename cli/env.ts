/**
 * `drydock env list | show | prune`: a sandbox host's environment cache, read
 * (or pruned) on that host through the environmentCache workflow, so the
 * commands answer on any machine that reaches Temporal.
 */
import { randomUUID } from 'crypto';
import { TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE, SANDBOX_QUEUE, sandboxHostQueue } from '../workflows/queues';
import type {
  EnvironmentCacheAnswer,
  EnvironmentCacheRequest,
  EnvironmentSummary,
} from '../workflows/environment-cache';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UnreachableError, UsageError } from './errors';
import { printJson, printText } from './output';

/** How long an env read may take before the CLI says no worker answers. */
export const ENV_CACHE_TIMEOUT_SECONDS = 30;

/** What `drydock env …` takes besides its action. */
export interface EnvCommandOptions {
  host?: string;
  json: boolean;
}

/** Lists the cached environments of a host (most recently used first). */
export async function envList(config: ClientConfig, o: EnvCommandOptions & { repo?: string }): Promise<number> {
  const answer = await readEnvironmentCache(config, { action: 'list', repository: o.repo }, o.host);
  if (o.json) {
    printJson(answer);
    return 0;
  }
  printText(`${headline(answer)}\n`);
  for (const e of answer.entries) printText(`${entryLine(e)}\n`);
  return 0;
}

/** Shows one cached environment by key (or a prefix of it). */
export async function envShow(config: ClientConfig, key: string | undefined, o: EnvCommandOptions): Promise<number> {
  if (!key?.trim() || !/^[0-9a-f]{4,64}$/i.test(key.trim()))
    throw new UsageError('give a cache key or its first characters (see `drydock env list`)');
  const answer = await readEnvironmentCache(config, { action: 'show', key: key.trim() }, o.host);
  if (answer.entries.length === 0)
    throw new UsageError(`no cached environment ${key} on ${answer.host} (see \`drydock env list\`)`);
  if (answer.entries.length > 1)
    throw new UsageError(`${key} names ${answer.entries.length} cached environments; give more of the key`);
  const e = answer.entries[0]!;
  if (o.json) {
    printJson(e);
    return 0;
  }
  const rows: [string, string][] = [
    ['key', e.key],
    ['repository', e.repository],
    ['host', `${e.host} (${answer.directory ?? ''})`],
    ['set up at', `${e.commit} by goal ${e.goalId}, setup took ${seconds(e.setupMs)}`],
    ['age', `${hours(e.ageMs)} (expires in ${hours(Math.max(0, e.expiresInMs))})`],
    ['used', `${e.uses} times, last ${new Date(e.lastUsedAt).toISOString()}`],
    ['size', e.files.map((f) => `${f.name} ${megabytes(f.bytes)}`).join(', ')],
    ['image', e.imageId],
    ['toolchain', e.toolchain || "the image's"],
    ['keyed on', e.dependencyFiles.length ? e.dependencyFiles.join(', ') : 'no dependency files'],
  ];
  for (const [k, v] of rows) printText(`${k.padEnd(11)}${v}\n`);
  return 0;
}

/** Removes a repository's cached environments (every one when no repository is given) and the expired ones. */
export async function envPrune(config: ClientConfig, o: EnvCommandOptions & { repo?: string }): Promise<number> {
  const answer = await readEnvironmentCache(
    config,
    { action: 'prune', ...(o.repo ? { repository: o.repo } : { all: true }) },
    o.host,
  );
  if (o.json) {
    printJson(answer);
    return 0;
  }
  const removed = answer.removed ?? [];
  printText(`removed ${removed.length} cached environment${removed.length === 1 ? '' : 's'} on ${answer.host}\n`);
  for (const e of removed) printText(`${entryLine(e)}\n`);
  return 0;
}

function headline(a: EnvironmentCacheAnswer): string {
  if (!a.directory) return `${a.host}: no environment cache (DRYDOCK_ENV_CACHE_BYTES is off)`;
  const total = a.entries.reduce((n, e) => n + e.bytes, 0);
  return `${a.host}: ${a.entries.length} cached environment${a.entries.length === 1 ? '' : 's'}, ${megabytes(total)} of ${megabytes(a.maxBytes ?? 0)}, lifetime ${a.maxAgeHours ?? 0} h (${a.directory})`;
}

function entryLine(e: EnvironmentSummary): string {
  return `${e.key.slice(0, 12)}  ${e.repository}  ${hours(e.ageMs)} old  ${megabytes(e.bytes)}  used ${e.uses}×  at ${e.commit.slice(0, 12)}`;
}

function megabytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

function hours(ms: number): string {
  if (ms < 3600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3600_000).toFixed(1)} h`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs the environmentCache workflow; a clear error when no sandbox worker answers in time. */
async function readEnvironmentCache(
  config: ClientConfig,
  request: EnvironmentCacheRequest,
  host: string | undefined,
): Promise<EnvironmentCacheAnswer> {
  const { client, close } = await connectClient(config);
  try {
    return await client.workflow.execute('environmentCache', {
      taskQueue: AGENT_QUEUE,
      workflowId: `drydock-env-${request.action}-${randomUUID().slice(0, 8)}`,
      args: [request, host],
      workflowExecutionTimeout: `${ENV_CACHE_TIMEOUT_SECONDS}s`,
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
      throw new UnreachableError(
        `no worker answered within ${ENV_CACHE_TIMEOUT_SECONDS} s (namespace ${config.namespace}); the cache is read on a sandbox host (${host ? sandboxHostQueue(host) : SANDBOX_QUEUE}) through the agent worker: start them with \`npm run worker\``,
      );
    }
    if (err instanceof WorkflowFailedError) {
      let e: Error = err;
      while (e.cause instanceof Error) e = e.cause;
      if (e instanceof TimeoutFailure || /timeout/i.test(e.message))
        throw new UnreachableError(
          `no sandbox worker answered on ${host ? sandboxHostQueue(host) : SANDBOX_QUEUE}; start one with \`npm run worker\``,
        );
      throw new Error(`reading the environment cache failed: ${e.message}`);
    }
    throw err;
  } finally {
    await close();
  }
}
