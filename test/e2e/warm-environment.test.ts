/**
 * Warm environments, end to end (issue 17, item 3): with DRYDOCK_WARM_REPOS=1
 * the sandbox host keeps one container started from the cached environment of
 * its busiest repository; the next goal on that repository takes it (the
 * restore skipped, maintenance run, setup not run), sees nothing of the goal
 * that made the cache beyond what its setup made, and the host makes a new
 * warm container afterwards (the taken one is removed with the goal).
 */
import { randomBytes } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import Dockerode from 'dockerode';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult, GoalStatusView } from '../../workflows/types';
import { FsArtifactStore } from '../../activities/store/fs-store';
import { WARM_ENVIRONMENT_LABEL } from '../../activities/sandbox/container-options';
import { useAgentStack } from '../support/agent-stack';
import { loadScript } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';

const RUN = randomBytes(3).toString('hex');

const stack = useAgentStack({
  vars: { DRYDOCK_MODEL: 'scripted', DRYDOCK_POOL_SIZE: '0', DRYDOCK_WARM_REPOS: '1' },
});

const SETUP =
  'mkdir -p node_modules/dep && head -c 8 /dev/urandom | od -An -tx1 | tr -d " \\n" > node_modules/dep/stamp';
const ENVIRONMENT = { maintenance: 'echo maintained >> ~/maintenance-runs', checks: ['node --test test/'] };
/** What the model looks at, then what the goal leaves behind in its own sandbox (after the look). */
const LOOK =
  'cat node_modules/dep/stamp; echo; cat ~/maintenance-runs 2>&1; ls -a . ~; touch left-by-goal ~/left-by-goal';

function demoPatch(): string {
  const script = loadScript(fixturePath('scripts/demo.json')) as {
    calls?: { name: string; arguments: { patch?: string } }[];
  }[];
  return script.flatMap((t) => t.calls ?? []).find((c) => c.name === 'apply_patch')?.arguments.patch ?? '';
}

async function goal(repo: string, id: string) {
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: LOOK } }] },
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const workflowId = `warmenv-${id}-${RUN}`;
  const input: GoalInput = {
    repository: repo,
    goal: 'Make the failing test in test/math.test.js pass',
    setup: { script: SETUP },
  };
  const handle = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    args: [input],
  });
  const result = (await handle.result()) as GoalResult;
  const status = await handle.query<GoalStatusView>('status');
  const messages =
    (stack.model.requests.at(-2)?.body as { messages?: { role: string; content?: string }[] } | undefined)?.messages ??
    [];
  const saw = messages.find((m) => m.role === 'tool')?.content ?? '';
  const store = new FsArtifactStore(path.join(stack.workers.config.dataDir, 'artifacts'));
  const setupLog = (await store.get(`goals/${workflowId}/setup.log`)).toString('utf8');
  stack.model.requests.length = 0;
  return { result, status, saw, setupLog, workflowId };
}

/** This host's warm environment containers: id and the cache key each holds. */
async function warmContainers(): Promise<{ id: string; key: string }[]> {
  const list = await new Dockerode().listContainers({
    all: true,
    filters: { label: [WARM_ENVIRONMENT_LABEL, `drydock.host=${stack.workers.config.hostId}`] },
  });
  return list
    .filter((c) => (c.Names[0] ?? '').includes('drydock-pool-'))
    .map((c) => ({ id: c.Id, key: c.Labels[WARM_ENVIRONMENT_LABEL]! }));
}

async function waitFor<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('the busiest repository has a warm container from its cached environment; the next goal takes it, sees nothing of the goal before, and a new one is made', async () => {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, '.drydock'), { recursive: true });
  writeFileSync(path.join(repo, '.drydock', 'environment.json'), JSON.stringify(ENVIRONMENT, null, 2));
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'environment');

  const cold = await goal(repo, 'cold');
  expect(cold.result.status).toBe('succeeded');
  expect(cold.setupLog).toMatch(/environment: cached \(\d+\.\d MB, key [0-9a-f]{12}\)/);
  const stamp = /^([0-9a-f]{16})$/m.exec(cold.saw)?.[1];
  expect(stamp).toBeDefined();

  // The host starts a container from the new entry within its next look at the cache.
  const [ready] = await waitFor('a warm container', async () => {
    const w = await warmContainers();
    return w.length > 0 ? w : undefined;
  });

  const second = await goal(repo, 'second');
  expect(second.result.status).toBe('succeeded');
  expect(second.setupLog).toMatch(
    /environment: cached on \S+, \d+ s old .*; the sandbox was a warm one started from it; setup skipped/,
  );
  expect(second.setupLog).toContain('$ maintenance (.drydock/environment.json maintenance)');
  expect(second.setupLog).not.toContain('$ setup (');
  expect(second.status.environment).toMatch(/^cached on \S+, \d+ s old, started warm$/);
  // What setup made is there; what the first goal's agent left is not; maintenance ran once, in this goal.
  expect(second.saw).toContain(`${stamp}\n`);
  expect(second.saw).toContain('maintained\n');
  expect(second.saw).not.toContain('left-by-goal');
  // The warm container was the goal's (removed with it), and the host keeps a new one ready.
  const next = await waitFor('a new warm container', async () => {
    const w = await warmContainers();
    return w.length > 0 && !w.some((c) => c.id === ready!.id) ? w : undefined;
  });
  expect(next.map((c) => c.key)).toEqual([ready!.key]);
}, 400_000);
