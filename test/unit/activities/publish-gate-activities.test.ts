/**
 * checkChange and publishChange in MockActivityEnvironment over an in-memory
 * store and a recording code host: a change that holds a secret the agent
 * worker knows is refused by the gate the workflow asks, and by publishChange
 * itself, so no caller publishes around the gate; the reasons never repeat the secret.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createCodeHostActivities } from '../../../activities/agent/codehost-activities';
import type { ChangeProposal, CodeHost } from '../../../activities/codehost/code-host';
import { InMemoryArtifactStore, mockActivityEnvironment, runActivity } from '../../support/fake-ports';

const API_KEY = 'sk-drydock-test-7f3a9c2e5b1d4f60a8e7c3b2';
const GOAL = 'goal-gate';

function patchAdding(path: string, line: string): string {
  return [
    `diff --git a/${path} b/${path}`,
    'index 1111111..2222222 100644',
    `--- a/${path}`,
    `+++ b/${path}`,
    '@@ -1 +1,2 @@',
    ' const a = 1;',
    `+${line}`,
    '',
  ].join('\n');
}

async function setUp(patch: string) {
  const store = new InMemoryArtifactStore();
  await store.put(`goals/${GOAL}/change.patch`, patch);
  await store.put(`goals/${GOAL}/change.text.patch`, patch);
  const published: ChangeProposal[] = [];
  const host: CodeHost = {
    async publish(proposal) {
      published.push(proposal);
      return { id: '1', branch: proposal.branch, base: proposal.baseBranch, location: 'fake://pull/1', commit: 'f00d' };
    },
  };
  const activities = createCodeHostActivities({
    store,
    codeHostFor: () => host,
    namespace: 'default',
    defaultModel: 'gpt-4.1-mini',
    knownSecrets: () => [API_KEY],
  });
  const change = {
    patchRef: `goals/${GOAL}/change.patch`,
    textPatchRef: `goals/${GOAL}/change.text.patch`,
    files: [{ path: 'src/config.js', status: 'M', additions: 1, deletions: 0 }],
  };
  const env = mockActivityEnvironment();
  const publish = () =>
    runActivity(env, activities.publishChange, {
      ...change,
      goalId: GOAL,
      repository: '/srv/git/demo',
      goal: 'Configure the client',
      baseBranch: 'main',
      baseCommit: 'c0ffee',
      summary: 'configured',
      checks: [],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      iterations: 1,
    });
  return { published, check: () => runActivity(env, activities.checkChange, change), publish };
}

test("a change holding the agent worker's API key is refused by checkChange, and the reason does not repeat it", async () => {
  const { check } = await setUp(patchAdding('src/config.js', `const key = '${API_KEY}';`));
  const verdict = await check();

  expect(verdict.allowed).toBe(false);
  expect(verdict.reasons.join('\n')).toMatch(/known secret/);
  expect(JSON.stringify(verdict)).not.toContain(API_KEY);
});

test('publishChange runs the same gate: the refused change opens no pull request', async () => {
  const { publish, published } = await setUp(patchAdding('src/config.js', `const key = '${API_KEY}';`));
  const failure = await publish().catch((err: unknown) => err);

  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe('PublishRefused');
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  expect((failure as ApplicationFailure).message).not.toContain(API_KEY);
  expect(published).toEqual([]);
});

test('a clean change passes the gate and is published once, on the goal branch', async () => {
  const { check, publish, published } = await setUp(patchAdding('src/config.js', 'const timeout = 30;'));

  expect(await check()).toEqual({ allowed: true, reasons: [] });
  const pr = await publish();
  expect(published).toHaveLength(1);
  expect(published[0]?.branch).toMatch(/^drydock\/[0-9a-f]{8}$/);
  expect(pr.branch).toBe(published[0]?.branch);
});
