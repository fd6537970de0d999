/**
 * Claim check: after a 30-turn run with large tool outputs, the largest
 * payload in history stays small and history grows by a constant per turn.
 */
import { temporal } from '@temporalio/proto';
import { AGENT_QUEUE } from '../../workflows/queues';
import { useAgentStack } from '../support/agent-stack';
import { loadScript, type ScriptedTurn } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const TURNS = 30;

const stack = useAgentStack();

test(`history grows by a constant per turn over ${TURNS} turns with 40 KB tool outputs`, async () => {
  const repo = makeGitRepo('demo-repo');
  const turns: ScriptedTurn[] = [];
  for (let i = 1; i < TURNS; i++) {
    turns.push(
      i % 3 === 0
        ? {
            type: 'tool_calls',
            calls: [{ name: 'write_file', arguments: { path: `notes/n${i}.txt`, content: 'x'.repeat(30_000) } }],
          }
        : {
            type: 'tool_calls',
            content: 'y'.repeat(2000),
            calls: [{ name: 'shell', arguments: { command: 'seq 1 8000' } }],
          },
    );
  }
  turns.push({ type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'done', rationale: 'r' } }] });
  stack.model.push(...turns);
  const workflowId = `history-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    args: [
      {
        repository: repo,
        goal: 'grow the conversation',
        checks: ['true'],
        policy: {
          maxIterations: TURNS,
          observationWindow: 0,
          maxPromptTokensPerCall: 1_000_000,
          maxTotalTokens: 100_000_000,
        },
      },
    ],
  });
  const result = await readGoalResult(handle);
  expect(result.status).toBe('succeeded');
  expect(result.iterations).toBe(TURNS);
  // The conversation is large: the last prompt alone is over half a megabyte.
  const lastPrompt = JSON.stringify(stack.model.requests.at(-1)?.body ?? '');
  expect(lastPrompt.length).toBeGreaterThan(500_000);

  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const sizes = events.map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  const largest = Math.max(...sizes);
  const total = sizes.reduce((a, b) => a + b, 0);

  // Bytes of history between consecutive callModel schedules = bytes per turn.
  const cumulative: number[] = [];
  let running = 0;
  events.forEach((e, i) => {
    running += sizes[i] ?? 0;
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel') cumulative.push(running);
  });
  const perTurn = cumulative.slice(1).map((c, i) => c - (cumulative[i] ?? 0));
  const steady = perTurn.slice(2); // the first turns include the set-up activities
  const firstFive = mean(steady.slice(0, 6));
  const lastFive = mean(steady.slice(-6));
  console.log(
    `history: ${events.length} events, ${total} bytes for ${TURNS} turns; largest event ${largest} bytes; ` +
      `bytes per turn: first ${firstFive.toFixed(0)}, last ${lastFive.toFixed(0)}, min ${Math.min(...steady)}, max ${Math.max(...steady)}; ` +
      `events per turn ${(events.length / TURNS).toFixed(1)}; last prompt ${lastPrompt.length} bytes`,
  );
  expect(largest).toBeLessThan(64 * 1024);
  expect(lastFive / firstFive).toBeLessThan(1.15);
  expect(Math.max(...steady)).toBeLessThan(2 * Math.min(...steady));
}, 300_000);

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

test('a long goal continues as new with references only, keeps its sandbox, and ends as one result', async () => {
  const repo = makeGitRepo('demo-repo');
  const list: ScriptedTurn = { type: 'tool_calls', calls: [{ name: 'list_files', arguments: {} }] };
  const script = loadScript(fixturePath('scripts/demo.json')).map((t) => ({ ...t, expect: undefined }));
  const fix = script.find((t) => t.type === 'tool_calls' && t.calls[0]?.name === 'apply_patch')!;
  stack.model.push(list, list, list, { ...fix, expect: { anyMessageIncludes: 'Make the failing test' } }, list, list, {
    type: 'tool_calls',
    calls: [{ name: 'finish', arguments: { summary: 'fixed add', rationale: 'r' } }],
  });
  const workflowId = `can-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    args: [{ repository: repo, goal: 'Make the failing test in test/math.test.js pass', policy: { turnsPerRun: 3 } }],
  });
  const result = await readGoalResult(handle);
  expect(result.status).toBe('succeeded');
  expect(result.iterations).toBe(7);
  expect(gitIn(repo, 'diff', 'main', result.pr!.branch)).toContain('+  return a + b;');

  // Three runs: the first two end in continue-as-new, without tearing the sandbox down.
  const first = await stack.env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
  const events = first.events ?? [];
  expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  const activities = events.flatMap((e) =>
    e.activityTaskScheduledEventAttributes?.activityType?.name
      ? [e.activityTaskScheduledEventAttributes.activityType.name]
      : [],
  );
  expect(activities.filter((a) => a === 'callModel')).toHaveLength(3);
  expect(activities).not.toContain('destroySandbox');
  const runs: string[] = [];
  for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf.runId);
  console.log(
    `continue-as-new: ${runs.length} runs for ${result.iterations} turns at turnsPerRun 3; first run ${events.length} events`,
  );
  expect(runs.length).toBe(3);
}, 120_000);
