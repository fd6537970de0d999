/**
 * bench:context — prompt tokens of one scripted 40-turn trajectory with large
 * tool outputs, with observation masking on (the default window) and off; and
 * the prompt estimate against what the endpoint reported, before calibration
 * (3 characters a token) and after (the worst ratio seen, applied), on the
 * scripted server's own count and on an endpoint that counts like a tokenizer
 * counts JSON (2.55 characters a token, through test/support/token-counting-proxy.ts).
 * Prints tables and writes bench/results/context.json. Asserts nothing.
 *
 *   npm run build && npm run bench:context [-- --turns 40]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { temporal as temporal_ } from '@temporalio/proto';
import { AGENT_QUEUE } from '../workflows/queues';
import { DEFAULT_POLICY } from '../workflows/policy';
import type { GoalResult } from '../workflows/types';
import { startScriptedModelServer, type ScriptedTurn } from '../scripted-model';
import { startBenchWorkers, startTemporal } from './harness';
import { promptEstimatesOf, ratioSummary, type PromptEstimate, type RatioSummary } from './prompt-estimates';
import { startTokenCountingProxy } from '../test/support/token-counting-proxy';
import { readGoalResult } from '../cli/goal-result';

/** The trajectory: reads, searches and test runs with outputs far above the cap, then finish. */
function trajectory(turns: number): ScriptedTurn[] {
  const commands = [
    'seq 1 20000',
    'find / -xdev -maxdepth 3 2>/dev/null | head -3000',
    'ls -laR /usr/lib/python3 | head -4000',
    'cat /usr/share/common-licenses/GPL-3',
  ];
  const script: ScriptedTurn[] = [];
  for (let i = 0; i < turns - 1; i++) {
    script.push(
      i % 5 === 4
        ? { type: 'tool_calls', calls: [{ name: 'read_file', arguments: { path: 'big.txt' } }] }
        : { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: commands[i % commands.length]! } }] },
    );
  }
  script.push({
    type: 'tool_calls',
    calls: [{ name: 'finish', arguments: { summary: 'explored', rationale: 'bench' } }],
  });
  return script;
}

function repository(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-bench-context-'));
  writeFileSync(
    path.join(dir, 'big.txt'),
    Array.from({ length: 3000 }, (_, i) => `line ${i}: ${'lorem ipsum '.repeat(4)}`).join('\n'),
  );
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@b',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@b',
      },
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  return dir;
}

async function main(): Promise<void> {
  const turnsArg = process.argv.indexOf('--turns');
  const turns = turnsArg > 0 ? Number(process.argv[turnsArg + 1]) : 40;
  const temporal = await startTemporal();
  // The goals' activities go to drydock-agent: another worker polling it would serve some of them with its own model.
  const others = await temporal.client.workflowService.describeTaskQueue({
    namespace: temporal.namespace,
    taskQueue: { name: AGENT_QUEUE },
    taskQueueType: temporal_.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  if ((others.pollers ?? []).length > 0) {
    await temporal.close();
    throw new Error(
      `another worker polls ${AGENT_QUEUE} on ${temporal.address} (${(others.pollers ?? []).map((p) => p.identity).join(', ')}): it would take some of the bench's model calls and skew the figures; stop it, or unset TEMPORAL_ADDRESS to run on a server of the bench's own`,
    );
  }
  const model = await startScriptedModelServer({ script: [] });
  // A second endpoint, picked by profile: the same scripted answers, prompt tokens counted at 2.55 characters a token.
  const dense = await startTokenCountingProxy(() => model.url, 2.55);
  const modelsDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-bench-models-'));
  const modelsFile = path.join(modelsDir, 'models.json');
  writeFileSync(modelsFile, JSON.stringify({ 'json-dense-count': { model: 'scripted', baseUrl: dense.url } }));
  const workers = await startBenchWorkers(temporal, {
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: 'bench',
    DRYDOCK_POOL_SIZE: '0',
    DRYDOCK_MODELS: modelsFile,
  });
  const repo = repository();
  const estimates: { endpoint: string; calls: PromptEstimate[] }[] = [];
  const rows: {
    masking: string;
    window: number;
    promptTokens: number;
    totalTokens: number;
    largestPrompt: number;
    turns: number;
  }[] = [];
  try {
    const runs = [
      { window: 0, profile: undefined },
      { window: DEFAULT_POLICY.observationWindow, profile: undefined },
      { window: DEFAULT_POLICY.observationWindow, profile: 'json-dense-count' },
    ];
    for (const { window, profile } of runs) {
      // Turns a run left unplayed (its budget ran out first) must not open the next run.
      model.clear();
      model.push(...trajectory(turns));
      const before = model.requests.length;
      const workflowId = `bench-context-${window}-${profile ?? 'scripted'}-${Date.now()}`;
      const result: GoalResult = await temporal.client.workflow
        .start('codingAgent', {
          taskQueue: AGENT_QUEUE,
          workflowId,
          args: [
            {
              repository: repo,
              goal: 'Explore the repository',
              checks: ['true'],
              ...(profile ? { model: { name: profile } } : {}),
              // The token budget is not what this bench measures: every run gets all its turns.
              policy: { maxIterations: turns, observationWindow: window, maxTotalTokens: 100_000_000 },
            },
          ],
        })
        .then(readGoalResult);
      const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
      const endpoint = profile ? 'JSON-dense count (2.55 chars/token)' : "scripted server's count (~4 chars/token)";
      const seen = estimates.find((e) => e.endpoint === endpoint);
      if (seen) seen.calls.push(...promptEstimatesOf(history.events ?? []));
      else estimates.push({ endpoint, calls: promptEstimatesOf(history.events ?? []) });
      if (profile) continue;
      const prompts = model.requests.slice(before).map((r) => JSON.stringify(r.body).length);
      rows.push({
        masking: window === 0 ? 'off' : `on (window ${window})`,
        window,
        promptTokens: result.usage.promptTokens,
        totalTokens: result.usage.totalTokens,
        largestPrompt: Math.max(...prompts),
        turns: result.iterations,
      });
    }
  } finally {
    await workers.stop();
    await dense.close();
    rmSync(modelsDir, { recursive: true, force: true });
    await model.close();
    await temporal.close();
    rmSync(repo, { recursive: true, force: true });
  }
  const [off, on] = rows;
  console.log(
    `\nbench:context — one ${turns}-turn trajectory, tool outputs capped at ${DEFAULT_POLICY.maxToolOutputBytes} bytes each\n`,
  );
  console.log('masking            turns  prompt tokens  total tokens  largest request (bytes)');
  for (const r of rows)
    console.log(
      `${r.masking.padEnd(18)} ${String(r.turns).padStart(5)}  ${String(r.promptTokens).padStart(13)}  ${String(r.totalTokens).padStart(12)}  ${String(r.largestPrompt).padStart(23)}`,
    );
  if (off && on)
    console.log(
      `\nmasked / unmasked prompt tokens: ${(on.promptTokens / off.promptTokens).toFixed(3)} (goal: at most 0.5)`,
    );
  const calibration = estimates.map((e) => ({
    endpoint: e.endpoint,
    before: ratioSummary(e.calls, 'plain'),
    after: ratioSummary(e.calls, 'calibrated'),
  }));
  console.log('\nprompt tokens: actual / estimate, per model call (above 1: the estimate ran low)\n');
  console.log(
    'endpoint                                  calls  before: mean  worst  under   after: mean  worst  under',
  );
  const cells = (r: RatioSummary) =>
    `${r.mean.toFixed(3).padStart(11)}  ${r.worst.toFixed(3).padStart(5)}  ${String(r.underCounted).padStart(5)}`;
  for (const c of calibration)
    console.log(
      `${c.endpoint.padEnd(40)}  ${String(c.before.calls).padStart(5)}  ${cells(c.before)}  ${cells(c.after)}`,
    );
  const out = path.join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'context.json'),
    JSON.stringify(
      { turns, rows, ratio: off && on ? on.promptTokens / off.promptTokens : undefined, calibration },
      null,
      2,
    ),
  );
  console.log(`written: bench/results/context.json`);
}

main().catch((err: unknown) => {
  console.error(`bench:context failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
