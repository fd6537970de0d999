/**
 * The demo goal end to end on both wire formats, streaming: Chat Completions
 * and the Responses API (DRYDOCK_MODEL_API on the worker). One suite, run per
 * API: the goal succeeds; on Responses nothing is retained (`store: false`)
 * and the encrypted reasoning of turn n goes back in turn n+1 but never into
 * history; a model that reasons for 20 s is not cut by a 5 s idle limit, and a
 * stream that goes silent is cut after it and retried.
 */
import { temporal } from '@temporalio/proto';
import type { ModelApi } from '../../activities/model/create-model-client';
import { encryptedReasoningOf, loadScript, type ScriptedTurn } from '../../scripted-model';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput } from '../../workflows/types';
import { useAgentStack } from '../support/agent-stack';
import { exportedHistory } from '../support/exported-history';
import { fixturePath, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = Math.random().toString(36).slice(2, 8);
const DEMO_GOAL = 'Make the failing test in test/math.test.js pass';

function demoScript(): ScriptedTurn[] {
  return loadScript(fixturePath('scripts/demo.json'));
}

/** How many times each callModel ran (its last attempt number), and the failure its last retry followed. */
async function callModelAttempts(
  history: temporal.api.history.v1.IHistory,
): Promise<{ attempt: number; lastFailureType?: string }[]> {
  const events = history.events ?? [];
  const callModelIds = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel')
      .map((e) => String(e.eventId)),
  );
  return events
    .filter((e) => callModelIds.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '')))
    .map((e) => {
      const started = e.activityTaskStartedEventAttributes!;
      const type = started.lastFailure?.applicationFailureInfo?.type ?? undefined;
      return { attempt: started.attempt ?? 1, ...(type ? { lastFailureType: type } : {}) };
    });
}

describe.each<ModelApi>(['chat', 'responses'])('the demo goal on %s, streaming', (api) => {
  const stack = useAgentStack({ vars: { DRYDOCK_MODEL: 'scripted', DRYDOCK_MODEL_API: api } });

  function start(workflowId: string, input: GoalInput) {
    return stack.env.client.workflow.start('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] });
  }

  test('succeeds; nothing is retained and the reasoning of turn n returns in turn n+1, never in history', async () => {
    const repo = makeGitRepo('demo-repo');
    stack.model.push(...demoScript().map((turn) => ({ ...turn, reasoning: {} })));
    const workflowId = `e2e-api-${api}-${RUN}`;
    const result = await readGoalResult(await start(workflowId, { repository: repo, goal: DEMO_GOAL }));

    expect(result.status).toBe('succeeded');
    expect(result.iterations).toBe(6);
    const requests = stack.model.requests;
    expect(requests).toHaveLength(6);
    expect(requests.map((r) => [r.api, r.stream])).toEqual(requests.map(() => [api, true]));
    const history = exportedHistory(stack.env, workflowId);
    if (api === 'responses') {
      expect(requests.map((r) => r.store)).toEqual(requests.map(() => false));
      for (let n = 1; n < requests.length; n++) {
        const previous = encryptedReasoningOf(requests[n - 1]!.turnNumber);
        const items = requests[n]!.inputItems as { type?: string; role?: string; encrypted_content?: string }[];
        const reasoning = items.findIndex((i) => i.type === 'reasoning' && i.encrypted_content === previous);
        expect(reasoning).toBeGreaterThan(0);
        // It precedes that turn's text and function calls.
        const next = items[reasoning + 1];
        expect(next?.type === 'function_call' || next?.role === 'assistant').toBe(true);
      }
      for (const r of requests) {
        const encrypted = encryptedReasoningOf(r.turnNumber);
        expect(history).not.toContain(encrypted);
        expect(history).not.toContain(Buffer.from(encrypted, 'base64').toString('utf8'));
      }
    } else {
      // Chat Completions has no place for reasoning items: none is sent.
      expect(JSON.stringify(requests.map((r) => r.body))).not.toContain('encrypted');
    }
  }, 180_000);

  test('a model reasoning for 20 s is not cut by a 5 s idle limit; a silent stream is cut after it and retried', async () => {
    const repo = makeGitRepo('demo-repo');
    const [first, second, ...rest] = demoScript();
    stack.model.push(
      { ...first!, reasoning: { seconds: 20 } },
      { ...second!, streamFault: { kind: 'stall', afterEvents: 2 } },
      second!,
      ...rest,
    );
    const workflowId = `e2e-idle-${api}-${RUN}`;
    const started = Date.now();
    const handle = await start(workflowId, {
      repository: repo,
      goal: DEMO_GOAL,
      policy: { modelIdleTimeoutSeconds: 5 },
    });
    const result = await readGoalResult(handle);

    expect(result.status).toBe('succeeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25_000);
    const requests = stack.model.requests;
    expect(requests).toHaveLength(7);
    // The reasoning turn took its 20 s and was answered; the silent one was cut after about 5 s.
    expect(requests[0]?.abortedAt).toBeUndefined();
    expect(requests[1]!.receivedAt - requests[0]!.receivedAt).toBeGreaterThanOrEqual(20_000);
    const cutAfter = requests[1]!.abortedAt! - requests[1]!.receivedAt;
    expect(cutAfter).toBeGreaterThanOrEqual(4_500);
    expect(cutAfter).toBeLessThan(15_000);
    // Temporal's attempts are what the server saw: one retry, after a ModelIdle failure.
    const attempts = await callModelAttempts(await handle.fetchHistory());
    expect(attempts.reduce((n, a) => n + a.attempt, 0)).toBe(requests.length);
    expect(attempts.filter((a) => a.attempt > 1)).toEqual([{ attempt: 2, lastFailureType: 'ModelIdle' }]);
  }, 240_000);
});
