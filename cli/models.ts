/**
 * `drydock models`: the model profiles goals can pick by name (`--model`), as
 * the agent worker holds them (the built-ins with the operator's DRYDOCK_MODELS
 * over them), read on the worker through the modelProfiles workflow.
 */
import { randomUUID } from 'crypto';
import { TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../workflows/queues';
import type { ModelProfilesAnswer } from '../workflows/model-profiles';
import type { ClientConfig } from './config';
import { connectClient } from './connect';
import { UnreachableError } from './errors';
import { printJson, printText } from './output';

/** How long the read may take before the CLI says no agent worker answers. */
export const MODEL_PROFILES_TIMEOUT_SECONDS = 10;

/** Renders the profiles as a table: name, API, endpoint, key variable, context, prices per million tokens. */
export function renderModels(answer: ModelProfilesAnswer): string {
  const header = [
    'name',
    'model',
    'api',
    'endpoint',
    'key',
    'context',
    'input',
    'cached',
    'output',
    'reasoning',
    'source',
  ];
  const money = (n: number | undefined) => (n === undefined ? '—' : `$${n}`);
  const rows = answer.profiles.map((p) => [
    `${p.name}${p.name === answer.defaultModel ? ' *' : ''}`,
    p.model,
    p.api,
    p.endpoint,
    `${p.apiKeyVariable}${p.apiKeySet ? '' : ' (unset)'}`,
    p.contextTokens === undefined ? '—' : String(p.contextTokens),
    money(p.price?.inputPerMillionUsd),
    money(p.price?.cachedInputPerMillionUsd),
    money(p.price?.outputPerMillionUsd),
    p.reasoningEffort ?? '—',
    p.source,
  ]);
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const lines = table.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  return [
    ...lines,
    '',
    `prices in USD per million tokens; * the worker's default model (DRYDOCK_MODEL); profiles file: ${answer.modelsFile ?? 'none (DRYDOCK_MODELS unset)'}`,
    'a goal picks a profile with --model <name>; other names go to the worker’s default endpoint unpriced',
  ].join('\n');
}

/** Lists the agent worker's model profiles. */
export async function models(config: ClientConfig, json: boolean): Promise<number> {
  const answer = await readModelProfiles(config);
  if (json) printJson(answer);
  else printText(`${renderModels(answer)}\n`);
  return 0;
}

/** Runs the modelProfiles workflow on the agent queue; a clear error when no agent worker answers in time. */
async function readModelProfiles(config: ClientConfig): Promise<ModelProfilesAnswer> {
  const { client, close } = await connectClient(config);
  try {
    return await client.workflow.execute('modelProfiles', {
      taskQueue: AGENT_QUEUE,
      workflowId: `drydock-models-${randomUUID().slice(0, 8)}`,
      args: [],
      workflowExecutionTimeout: `${MODEL_PROFILES_TIMEOUT_SECONDS}s`,
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
      throw new UnreachableError(
        `no agent worker answered on ${AGENT_QUEUE} within ${MODEL_PROFILES_TIMEOUT_SECONDS} s (namespace ${config.namespace}); model profiles are read on the agent worker: start it with \`npm run worker\``,
      );
    }
    throw err;
  } finally {
    await close();
  }
}
