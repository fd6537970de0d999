/**
 * The "never start a call the budget cannot cover" promise with JSON-dense
 * input, end to end: a real dev server, the real workers, and an endpoint
 * that counts JSON as a real tokenizer does (2.55 characters a token; the
 * plain estimate assumes 3). Without calibration a call the plain estimate
 * says fits is made and overruns the token budget; once the endpoint has
 * reported one prompt, the calibrated estimate refuses that call before it
 * is made. The calibration lives in the ArtifactStore.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { CALIBRATION_KEY } from '../../activities/model/prompt-calibration';
import { startScriptedModelServer, type ScriptedModelServer, type ScriptedTurn } from '../../scripted-model';
import { makeGitRepo, removeGitRepos } from '../support/git-fixtures';
import { startTestEnvironment } from '../support/test-env';
import { startTokenCountingProxy, type TokenCountingProxy } from '../support/token-counting-proxy';
import { startWorkers, type RunningWorkers } from '../support/workers';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const listTurn: ScriptedTurn = { type: 'tool_calls', calls: [{ name: 'list_files', arguments: {} }] };

/** A goal whose text is JSON-dense: a dependency manifest to apply (about 18,000 characters). */
function jsonDenseGoal(): string {
  const dependencies = Object.fromEntries(
    Array.from({ length: 260 }, (_, i) => [`@scope/pkg-${i}`, { version: `^${i % 9}.${i}.0`, dev: i % 3 === 0 }]),
  );
  return `Apply this dependency manifest to package.json:\n${JSON.stringify({ dependencies })}`;
}

let env: TestWorkflowEnvironment;
let model: ScriptedModelServer;
let proxy: TokenCountingProxy;
let workers: RunningWorkers;

beforeAll(async () => {
  env = await startTestEnvironment();
  model = await startScriptedModelServer({ script: [] });
  proxy = await startTokenCountingProxy(() => model.url, 2.55);
  workers = await startWorkers(env, { OPENAI_BASE_URL: proxy.url, OPENAI_API_KEY: 'scripted-key' });
}, 120_000);

afterAll(async () => {
  await workers?.stop();
  await proxy?.close();
  await model?.close();
  await env?.teardown();
  removeGitRepos();
});

async function run(name: string, input: GoalInput): Promise<GoalResult> {
  return (await env.client.workflow
    .start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: `${name}-${RUN}`,
      args: [input],
    })
    .then(readGoalResult)) as GoalResult;
}

test('a call that would overrun the token budget with JSON-dense input is refused before it is made', async () => {
  const repository = makeGitRepo('demo-repo');
  const goal = jsonDenseGoal();
  expect(goal.length).toBeLessThan(20_000);

  // 1. One call on model "dense": the endpoint reports its real prompt count; the worker keeps the ratio.
  model.push(listTurn);
  const first = await run('calib-learn', {
    repository,
    goal,
    model: { name: 'dense' },
    policy: { maxIterations: 1, onExhausted: 'stop' },
  });
  expect(first.usage.promptTokens).toBe(proxy.reported[0]);
  const real = first.usage.promptTokens;
  const stored = JSON.parse(readFileSync(path.join(workers.config.dataDir, 'artifacts', CALIBRATION_KEY), 'utf8')) as {
    ratios: Record<string, number>;
  };
  const factor = stored.ratios.dense!;
  const plain = Math.round(real / factor);
  console.log(
    `JSON-dense first prompt: plain estimate ${plain} tokens, the endpoint counted ${real} (x${factor.toFixed(3)})`,
  );
  expect(factor).toBeGreaterThan(1.1);

  // A budget the plain estimate says covers the call (its prompt + 256 completion tokens), the real count does not.
  const limit = plain + 256 + Math.floor((real - plain) / 2);
  const policy = { maxTotalTokens: limit, onExhausted: 'stop' as const };

  // 2. Without calibration (a model name the endpoint has not reported on yet) the call is made, and overruns.
  model.push(listTurn);
  const uncalibrated = await run('calib-overrun', { repository, goal, model: { name: 'dense-fresh' }, policy });
  expect(uncalibrated.status).toBe('budget_exhausted');
  expect(uncalibrated.usage.totalTokens).toBeGreaterThan(limit);
  console.log(
    `token budget ${limit}: uncalibrated, one call used ${uncalibrated.usage.totalTokens} (over by ${uncalibrated.usage.totalTokens - limit})`,
  );

  // 3. Calibrated: the same call is refused before it is made; the budget is never crossed.
  const requests = model.requests.length;
  const calibrated = await run('calib-refused', { repository, goal, model: { name: 'dense' }, policy });
  expect(model.requests).toHaveLength(requests);
  expect(calibrated.status).toBe('budget_exhausted');
  expect(calibrated.usage.totalTokens).toBe(0);
  const reason =
    /about (\d+) prompt tokens, calibrated x(\d\.\d+) from what the endpoint reported; (\d+) by the plain estimate/.exec(
      calibrated.reason ?? '',
    );
  expect(reason).not.toBeNull();
  const [estimated, raw] = [Number(reason![1]), Number(reason![3])];
  expect(raw).toBe(plain);
  expect(raw + 256).toBeLessThanOrEqual(limit); // the plain estimate would have started it…
  expect(estimated).toBeGreaterThanOrEqual(real); // …the calibrated one covers what the endpoint counts
  console.log(`calibrated: refused (${calibrated.reason})`);
});
