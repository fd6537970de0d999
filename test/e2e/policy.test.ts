/**
 * Policy end to end: budgets, timeouts, retries and a model that misbehaves,
 * against the real dev server, workers and Docker, with the scripted model
 * server injecting faults over real HTTP.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import { extendBudgetUpdate, finishNowSignal, statusQuery } from '../../workflows/messages';
import type { GoalInput, GoalResult } from '../../workflows/types';
import type { PullRequestRecord } from '../../activities/codehost/pr-record';
import { useAgentStack } from '../support/agent-stack';
import { containersOfGoal } from '../support/docker';
import { loadScript, type ScriptedTurn } from '../../scripted-model';
import { fixturePath, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const GOAL = 'Make the failing test in test/math.test.js pass';
const demo = (): ScriptedTurn[] =>
  loadScript(fixturePath('scripts/demo.json')).map((t) => ({ ...t, expect: undefined }));
const fixTurn = (): ScriptedTurn => demo().find((t) => t.type === 'tool_calls' && t.calls[0]?.name === 'apply_patch')!;
const finishTurn: ScriptedTurn = {
  type: 'tool_calls',
  calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'a + b' } }],
};
const listTurn: ScriptedTurn = { type: 'tool_calls', calls: [{ name: 'list_files', arguments: {} }] };

const stack = useAgentStack();

function start(name: string, input: Partial<GoalInput> = {}) {
  return stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: `${name}-${RUN}`,
    args: [{ repository: makeGitRepo('demo-repo'), goal: GOAL, ...input }],
  });
}

async function run(name: string, input: Partial<GoalInput> = {}): Promise<GoalResult> {
  return await readGoalResult(await start(name, input));
}

function prRecord(id: string): PullRequestRecord {
  return JSON.parse(
    readFileSync(path.join(stack.workers.config.dataDir, 'prs', `${id}.json`), 'utf8'),
  ) as PullRequestRecord;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('model errors', () => {
  test('429 with Retry-After is retried after the delay the server asked for', async () => {
    stack.model.push({ type: 'error', status: 429, retryAfterSeconds: 3 }, fixTurn(), finishTurn);
    const result = await run('p-429');
    expect(result.status).toBe('succeeded');
    expect(stack.model.requests).toHaveLength(3);
    const spacing = stack.model.requests[1]!.receivedAt - stack.model.requests[0]!.receivedAt;
    console.log(
      `429 Retry-After 3 s: the server saw ${stack.model.requests.length - 2} retry, ${spacing} ms after the first attempt`,
    );
    expect(spacing).toBeGreaterThanOrEqual(3000);
    expect(spacing).toBeLessThan(6000);
  });

  test('500 is retried; the server sees exactly the attempts Temporal made', async () => {
    stack.model.push({ type: 'error', status: 500 }, { type: 'error', status: 503 }, fixTurn(), finishTurn);
    const result = await run('p-500');
    expect(result.status).toBe('succeeded');
    expect(stack.model.requests).toHaveLength(4);
  });

  test('401 fails the goal after exactly one attempt, with a typed failure and no key in it', async () => {
    stack.model.push({ type: 'error', status: 401 });
    const err = await run('p-401').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('ModelUnauthorized');
    expect(cause.message).not.toContain('scripted-key');
    expect(stack.model.requests).toHaveLength(1);
    expect(await containersOfGoal(`p-401-${RUN}`)).toEqual([]);
  });

  test('a hung call is cut at the model-call timeout and retried', async () => {
    stack.model.push({ type: 'hang' }, fixTurn(), finishTurn);
    const result = await run('p-hang', { policy: { modelCallTimeoutSeconds: 2 } });
    expect(result.status).toBe('succeeded');
    const first = stack.model.requests[0]!;
    expect(first.abortedAt).toBeDefined();
    expect(first.abortedAt! - first.receivedAt).toBeGreaterThanOrEqual(1900);
    expect(stack.model.requests).toHaveLength(3);
  });

  test('cancelling the goal aborts the model request in flight and removes the sandbox', async () => {
    stack.model.push({ type: 'hang' });
    const handle = await start('p-cancel');
    await until('the model request', () => stack.model.requests.length === 1);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    await until('the request to be aborted', () => stack.model.requests[0]?.abortedAt !== undefined, 15_000);
    expect(await containersOfGoal(`p-cancel-${RUN}`)).toEqual([]);
  });
});

describe('a model that misbehaves', () => {
  test('malformed arguments, an unknown tool and an empty reply go back to the model as errors', async () => {
    stack.model.push(
      { type: 'tool_calls', calls: [{ name: 'read_file', arguments: '{"path": "src/math.js"' }] },
      {
        type: 'tool_calls',
        calls: [{ name: 'rm_rf', arguments: {} }],
        expect: { lastMessageIncludes: 'not valid JSON' },
      },
      { type: 'text', content: '', expect: { lastMessageIncludes: 'unknown tool "rm_rf"' } },
      { ...fixTurn(), expect: { lastMessageIncludes: 'Reply with a tool call' } },
      finishTurn,
    );
    // Three invalid turns in a row, one fewer than this goal's patience.
    const result = await run('p-misbehave', { policy: { maxInvalidTurns: 4 } });
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('succeeded');
  });

  test('invalid turns in a row stop the goal with that reason', async () => {
    stack.model.push(
      { type: 'text', content: 'I think' },
      { type: 'text', content: 'I am thinking' },
      { type: 'text', content: 'still thinking' },
    );
    const result = await run('p-idle');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/3 invalid model turns in a row: the model answered without a tool call/);
  });

  test('the same failing call over and over is a loop, and the goal stops', async () => {
    const same: ScriptedTurn = { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: 'npm test' } }] };
    stack.model.push(same, same, same);
    const result = await run('p-loop');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/loop detected: the same failing call 3 times in a row \(shell/);
  });
});

describe('budgets', () => {
  test('the token budget stops the loop within one call of the limit and never above it', async () => {
    stack.model.push(...Array.from({ length: 20 }, () => listTurn));
    const limit = 6000;
    const result = await run('p-tokens', { policy: { maxTotalTokens: limit, onExhausted: 'stop' } });
    expect(result.status).toBe('budget_exhausted');
    expect(result.reason).toMatch(/budget cannot cover another model call|token budget/);
    const perCall = stack.model.requests.length > 0 ? result.usage.totalTokens / stack.model.requests.length : 0;
    console.log(`token budget ${limit}: used ${result.usage.totalTokens} in ${stack.model.requests.length} calls`);
    expect(result.usage.totalTokens).toBeLessThanOrEqual(limit);
    expect(result.usage.totalTokens).toBeGreaterThan(limit - 2 * perCall);
    drain();
  });

  test('the cost budget stops the loop within one call of the limit and never above it', async () => {
    stack.model.push(...Array.from({ length: 20 }, () => listTurn));
    const maxCostUsd = 4;
    const result = await run('p-cost', {
      model: { name: 'priced' },
      policy: {
        maxCostUsd,
        onExhausted: 'stop',
        prices: { priced: { inputPerMillionUsd: 1000, outputPerMillionUsd: 2000 } },
      },
    });
    expect(result.status).toBe('budget_exhausted');
    console.log(
      `cost budget $${maxCostUsd}: spent $${result.costUsd?.toFixed(4)} in ${stack.model.requests.length} calls`,
    );
    expect(result.costUsd).toBeDefined();
    expect(result.costUsd!).toBeLessThanOrEqual(maxCostUsd);
    expect(result.costUsd!).toBeGreaterThan(maxCostUsd - (2 * result.costUsd!) / stack.model.requests.length);
    drain();
  });

  test('a deadline reached publishes what there is as a draft PR marked budget exhausted', async () => {
    stack.model.push(fixTurn(), { type: 'hang' });
    const result = await run('p-deadline', { policy: { deadlineSeconds: 5 } });
    expect(result.status).toBe('budget_exhausted');
    expect(result.reason).toMatch(/deadline reached/);
    expect(result.checks[0]).toEqual(expect.objectContaining({ command: 'npm test', passed: true }));
    const pr = prRecord(result.pr!.id);
    expect(pr.draft).toBe(true);
    expect(pr.title).toMatch(/^\[budget exhausted\] drydock: /);
    expect(pr.body).toContain('**Budget exhausted** — deadline reached');
    expect(await containersOfGoal(`p-deadline-${RUN}`)).toEqual([]);
  });

  test('"ask" waits durably at the limit and resumes after extendBudget', async () => {
    stack.model.push(listTurn, fixTurn());
    const handle = await start('p-ask', { policy: { maxIterations: 2, onExhausted: 'ask' } });
    await until('the goal to wait for budget', async () => (await handle.query(statusQuery)).waitingFor !== undefined);
    const waiting = await handle.query(statusQuery);
    expect(waiting.waitingFor).toMatch(/max iterations \(2\) reached/);
    const refused = await handle
      .executeUpdate(extendBudgetUpdate, { args: [{ iterations: -1 }] })
      .catch((e: unknown) => e);
    expect((refused as { cause?: Error }).cause?.message).toMatch(/iterations must be a whole number above 0/);
    stack.model.push(finishTurn);
    const limits = await handle.executeUpdate(extendBudgetUpdate, { args: [{ iterations: 3 }] });
    expect(limits.maxIterations).toBe(5);
    const result = await readGoalResult(handle);
    expect(result.status).toBe('succeeded');
    expect(result.iterations).toBe(3);
  });

  test('"ask" publishes a draft on finishNow', async () => {
    stack.model.push(fixTurn());
    const handle = await start('p-finishnow', { policy: { maxIterations: 1, onExhausted: 'ask' } });
    await until('the goal to wait for budget', async () => (await handle.query(statusQuery)).waitingFor !== undefined);
    await handle.signal(finishNowSignal);
    const result = await readGoalResult(handle);
    expect(result.status).toBe('budget_exhausted');
    expect(prRecord(result.pr!.id).draft).toBe(true);
  });
});

/** Drops the turns a budget test did not use. */
function drain(): void {
  stack.model.clear();
}
