/**
 * `drydock cost` and `drydock models` against the real stack: three goals on
 * two repositories, one of them on a profile from the operator's
 * DRYDOCK_MODELS (priced there, sent to the endpoint under its model name).
 * The report's figures are the ones the PR bodies and commit trailers carry.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import type { PullRequestRecord } from '../../activities/codehost/pr-record';
import { loadScript, type ScriptedTurn } from '../../scripted-model';
import { useAgentStack } from '../support/agent-stack';
import { runCli } from '../support/cli';
import { fixturePath, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const GOAL = 'Make the failing test in test/math.test.js pass';
const modelsDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-models-e2e-'));
const MODELS_FILE = path.join(modelsDir, 'models.json');
// The operator's profile: the scripted endpoint's model under a name of its own, with the operator's prices.
writeFileSync(
  MODELS_FILE,
  JSON.stringify({
    'house-model': {
      model: 'scripted',
      apiKeyVariable: 'HOUSE_MODEL_KEY',
      contextTokens: 200_000,
      price: { inputPerMillionUsd: 3, cachedInputPerMillionUsd: 0.3, outputPerMillionUsd: 12 },
    },
  }),
);

const stack = useAgentStack({ vars: { DRYDOCK_MODELS: MODELS_FILE, HOUSE_MODEL_KEY: 'house-key-123' } });
afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));

const demo = (): ScriptedTurn[] =>
  loadScript(fixturePath('scripts/demo.json')).map((t) => ({ ...t, expect: undefined }));
const fixTurn = (): ScriptedTurn => demo().find((t) => t.type === 'tool_calls' && t.calls[0]?.name === 'apply_patch')!;
const finishTurn: ScriptedTurn = {
  type: 'tool_calls',
  calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
};

/** Runs a goal whose two turns report these prompt/completion tokens. */
async function runGoal(name: string, repository: string, tokens: [number, number][], model?: string) {
  stack.model.push(
    { ...fixTurn(), usage: { prompt_tokens: tokens[0]![0], completion_tokens: tokens[0]![1] } },
    { ...finishTurn, usage: { prompt_tokens: tokens[1]![0], completion_tokens: tokens[1]![1] } },
  );
  const input: GoalInput = { repository, goal: GOAL, ...(model ? { model: { name: model } } : {}) };
  const result = (await stack.env.client.workflow
    .start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId: `${name}-${RUN}`,
      args: [input],
    })
    .then(readGoalResult)) as GoalResult;
  expect(result.status).toBe('succeeded');
  return result;
}

function prRecord(id: string): PullRequestRecord {
  return JSON.parse(
    readFileSync(path.join(stack.workers.config.dataDir, 'prs', `${id}.json`), 'utf8'),
  ) as PullRequestRecord;
}

function cliEnv(): Record<string, string> {
  return { TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: stack.workers.config.namespace };
}

test('drydock models lists the built-ins and the operator profile as the worker holds them, never the key', async () => {
  const r = await runCli(['models'], cliEnv());
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(
    /^house-model\s+scripted\s+chat\s+default\s+HOUSE_MODEL_KEY\s+200000\s+\$3\s+\$0\.3\s+\$12\s+—\s+file$/m,
  );
  expect(r.stdout).toMatch(
    /^gpt-5\.3-codex\s+gpt-5\.3-codex\s+responses\s+default\s+OPENAI_API_KEY\s+400000\s+\$1\.75\s+\$0\.175\s+\$14/m,
  );
  expect(r.stdout).toMatch(/^gpt-4\.1 \*/m);
  expect(r.stdout).toContain(`profiles file: ${MODELS_FILE}`);
  expect(r.stdout).not.toContain('house-key-123');
  const json = JSON.parse((await runCli(['models', '--json'], cliEnv())).stdout) as {
    profiles: { name: string; apiKeySet: boolean; source: string }[];
  };
  expect(json.profiles.find((p) => p.name === 'house-model')).toMatchObject({ apiKeySet: true, source: 'file' });
});

test('drydock cost over three goals on two repositories: the figures the PR bodies and trailers carry', async () => {
  const repoA = makeGitRepo('demo-repo');
  const repoB = makeGitRepo('demo-repo');
  // gpt-4.1 (the worker's default): $2 in, $8 out per million tokens.
  const a1 = await runGoal('cost-a1', repoA, [
    [10_000, 500],
    [12_000, 300],
  ]); // 22,000 × 2 + 800 × 8 → $0.0504
  const a2 = await runGoal('cost-a2', repoA, [
    [20_000, 1_000],
    [21_000, 1_000],
  ]); // 41,000 × 2 + 2,000 × 8 → $0.098
  // The operator's profile, picked by name: $3 in, $12 out; the endpoint was asked for its model, `scripted`.
  const before = stack.model.requests.length;
  const b1 = await runGoal(
    'cost-b1',
    repoB,
    [
      [30_000, 2_000],
      [1_000, 100],
    ],
    'house-model',
  ); // 31,000 × 3 + 2,100 × 12 → $0.1182
  expect(stack.model.requests.slice(before).map((r) => (r.body as { model?: unknown }).model)).toEqual([
    'scripted',
    'scripted',
  ]);
  expect(a1.costUsd).toBeCloseTo(0.0504, 12);
  expect(a2.costUsd).toBeCloseTo(0.098, 12);
  expect(b1.costUsd).toBeCloseTo(0.1182, 12);
  expect([a1.model, b1.model]).toEqual(['gpt-4.1', 'house-model']);

  // The PR bodies and commit trailers carry each goal's dollars.
  const bodyCost = (r: GoalResult) => /^- cost: \$(\d+\.\d+)/m.exec(prRecord(r.pr!.id).body)?.[1];
  expect([a1, a2, b1].map(bodyCost)).toEqual(['0.050400', '0.098000', '0.118200']);
  const trailer = execFileSync('git', ['-C', repoB, 'log', '-1', '--format=%B', b1.pr!.commit], { encoding: 'utf8' });
  expect(trailer).toContain('Drydock-Cost-USD: 0.1182\n');

  const env = cliEnv();
  let json: { rows: { key: string; goals: number; promptTokens: number; totalTokens: number; costUsd: number }[] } & {
    total: { goals: number; totalTokens: number; costUsd: number };
  } = { rows: [], total: { goals: 0, totalTokens: 0, costUsd: 0 } };
  // Visibility catches up with the closed goals shortly after they end.
  for (let i = 0; i < 50 && json.total.goals < 3; i++) {
    const r = await runCli(['cost', '--by', 'repo', '--since', '1h', '--json'], env);
    expect(r.stderr).toBe('');
    json = JSON.parse(r.stdout) as typeof json;
    json.rows = json.rows.filter((row) => row.key === repoA || row.key === repoB);
    json.total = {
      goals: json.rows.reduce((n, row) => n + row.goals, 0),
      totalTokens: json.rows.reduce((n, row) => n + row.totalTokens, 0),
      costUsd: json.rows.reduce((n, row) => n + row.costUsd, 0),
    };
    if (json.total.goals < 3) await new Promise((r) => setTimeout(r, 200));
  }
  expect(json.rows.map((r) => [r.key, r.goals, r.promptTokens, r.totalTokens])).toEqual([
    [repoA, 2, 63_000, 65_800],
    [repoB, 1, 31_000, 33_100],
  ]);
  expect(json.rows[0]!.costUsd).toBe(0.1484);
  expect(json.rows[1]!.costUsd).toBe(0.1182);

  const text = await runCli(['cost', '--by', 'repo', '--repo', repoA], env);
  expect(text.code).toBe(0);
  const lines = text.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^repo\s+goals\s+prompt\s+cached\s+completion\s+reasoning\s+tokens\s+cost$/);
  expect(lines[1]).toMatch(new RegExp(`^${repoA}\\s+2\\s+63000\\s+0\\s+2800\\s+0\\s+65800\\s+\\$0\\.148400$`));
  expect(lines[2]).toMatch(/^total\s+2\s+63000\s+0\s+2800\s+0\s+65800\s+\$0\.148400$/);
  console.log(`drydock cost --by repo --repo <A>:\n${text.stdout}`);

  const byModel = await runCli(['cost', '--by', 'model', '--since', '1h'], env);
  expect(byModel.stdout).toMatch(/^house-model\s+1\s+31000\s+0\s+2100\s+0\s+33100\s+\$0\.118200$/m);
  const bad = await runCli(['cost', '--by', 'week'], env);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/--by must be one of goal, repo, model, day/);
});
