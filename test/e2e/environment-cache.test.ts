/**
 * The environment cache, end to end (issue 17, items 1 and 2): a second goal
 * on the same repository starts from the first one's post-setup snapshot
 * (setup not run, maintenance run), succeeds with the same PR; the snapshot
 * holds no form of the setup secret; a lockfile change at the base commit
 * misses; a damaged snapshot falls back to a cold setup and says so; `drydock
 * env list` shows the entry and `drydock env prune` removes it.
 */
import { randomBytes } from 'crypto';
import { readFileSync, readdirSync, existsSync, truncateSync, statSync, writeFileSync, mkdirSync } from 'fs';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult, GoalStatusView } from '../../workflows/types';
import { secretEncodings } from '../../activities/security/secret-encodings';
import { FsArtifactStore } from '../../activities/store/fs-store';
import { useAgentStack } from '../support/agent-stack';
import { runCli } from '../support/cli';
import { ApplicationFailure } from '@temporalio/common';
import { loadScript } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';

const RUN = randomBytes(3).toString('hex');
const SECRET = `npm_${randomBytes(12).toString('hex')}`;

const stack = useAgentStack({
  vars: { DRYDOCK_MODEL: 'scripted', DRYDOCK_POOL_SIZE: '0', DRYDOCK_SETUP_SECRET_NPM_TOKEN: SECRET },
});

/** The goal's setup: a dependency folder stamped with a value only this run knows, a cache under ~, a run counter, and a token file (the hygiene removes it). */
const SETUP = [
  'mkdir -p node_modules/dep ~/.cache/tool',
  'head -c 12 /dev/urandom | od -An -tx1 | tr -d " \\n" > node_modules/dep/stamp',
  'echo cached > ~/.cache/tool/blob',
  'echo run >> ~/setup-runs',
  'echo "//registry/:_authToken=$NPM_TOKEN" > ~/.npmrc',
].join('\n');

/** The repository's environment file: the maintenance script a cached environment runs, and the checks. */
const ENVIRONMENT = {
  maintenance: 'echo maintained >> ~/maintenance-runs',
  checks: ['node --test test/'],
};

const LOOK = 'cat node_modules/dep/stamp; echo; cat ~/.cache/tool/blob ~/setup-runs ~/maintenance-runs 2>&1; ls -a ~';

function demoPatch(): string {
  const script = loadScript(fixturePath('scripts/demo.json')) as {
    calls?: { name: string; arguments: { patch?: string } }[];
  }[];
  return script.flatMap((t) => t.calls ?? []).find((c) => c.name === 'apply_patch')?.arguments.patch ?? '';
}

function repoWithEnvironment(): string {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, '.drydock'), { recursive: true });
  writeFileSync(path.join(repo, '.drydock', 'environment.json'), JSON.stringify(ENVIRONMENT, null, 2));
  writeFileSync(path.join(repo, 'package-lock.json'), '{ "lockfileVersion": 3 }\n');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'environment');
  return repo;
}

/** Runs a goal with the same scripted turns; returns its result, what the model saw of the sandbox, its setup log and status. */
async function goal(repo: string, id: string) {
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: LOOK } }] },
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const workflowId = `envcache-${id}-${RUN}`;
  const input: GoalInput = {
    repository: repo,
    goal: 'Make the failing test in test/math.test.js pass',
    setup: { script: SETUP, secrets: ['NPM_TOKEN'] },
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
  const setupLog = (
    await new FsArtifactStore(path.join(stack.workers.config.dataDir, 'artifacts')).get(`goals/${workflowId}/setup.log`)
  ).toString('utf8');
  stack.model.requests.length = 0;
  return { result, status, saw, setupLog };
}

function cacheDir(): string {
  return path.join(stack.workers.config.dataDir, 'env-cache');
}

function entries(): string[] {
  return existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((n) => /^[0-9a-f]{64}$/.test(n)) : [];
}

function cliEnv(): Record<string, string> {
  return { TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: stack.workers.config.namespace };
}

function stampOf(saw: string): string {
  return /^([0-9a-f]{24})$/m.exec(saw)?.[1] ?? 'no stamp';
}

test('a second goal starts from the cache: setup skipped, maintenance run, same PR; no secret in the cache; a lockfile change and an expired entry miss; a damaged snapshot falls back; prune removes', async () => {
  const repo = repoWithEnvironment();

  const cold = await goal(repo, 'cold');
  expect(cold.result.status).toBe('succeeded');
  expect(cold.setupLog).toContain('no cached environment for this key; running setup');
  expect(cold.setupLog).toMatch(/environment: cached \(\d+\.\d MB, key [0-9a-f]{12}\)/);
  expect(cold.status.environment).toMatch(/^built on \S+ in \d+ s$/);
  expect(cold.saw).toContain('cached\nrun\n');
  expect(entries()).toHaveLength(1);

  // The snapshot's bytes hold no form of the setup secret (the hygiene removed ~/.npmrc before it was taken).
  const entryDir = path.join(cacheDir(), entries()[0]!);
  for (const file of ['workspace.tar', 'home.tar']) {
    const bytes = readFileSync(path.join(entryDir, file));
    expect(bytes.length).toBeGreaterThan(0);
    for (const form of secretEncodings(SECRET)) expect(bytes.includes(Buffer.from(form))).toBe(false);
  }
  expect(readFileSync(path.join(entryDir, 'workspace.tar')).includes(Buffer.from('node_modules/dep/stamp'))).toBe(true);
  // The repository's own files are not in it: they come from each goal's base commit.
  expect(readFileSync(path.join(entryDir, 'workspace.tar')).includes(Buffer.from('math.js'))).toBe(false);

  const warm = await goal(repo, 'warm');
  expect(warm.result.status).toBe('succeeded');
  expect(warm.setupLog).toMatch(/environment: cached on \S+, \d+ (s|min) old .*setup skipped/);
  expect(warm.setupLog).toContain('$ maintenance (.drydock/environment.json maintenance)');
  expect(warm.setupLog).not.toContain('$ setup (');
  expect(warm.status.environment).toMatch(/^cached on \S+, \d+ (s|min) old$/);
  // The sandbox holds what the first goal's setup made (the same stamp), setup ran once, maintenance ran.
  expect(stampOf(warm.saw)).toBe(stampOf(cold.saw));
  expect(warm.saw).toContain('cached\nrun\nmaintained\n');
  expect(warm.saw).not.toContain('.npmrc');
  // The same PR content as the cold goal's.
  const branch = (r: GoalResult) => r.pr?.branch ?? '';
  expect(gitIn(repo, 'diff', 'main', branch(warm.result))).toBe(gitIn(repo, 'diff', 'main', branch(cold.result)));
  expect(gitIn(repo, 'diff', '--name-only', 'main', branch(warm.result))).toBe('src/math.js');

  // `drydock status` says where the environment came from.
  const status = await runCli(['status', `envcache-warm-${RUN}`], cliEnv());
  expect(status.stdout).toMatch(/^environment\s+cached on \S+, \d+ (s|min) old$/m);

  // `drydock env list` reads the sandbox host's cache through Temporal.
  const list = await runCli(['env', 'list'], cliEnv());
  expect(list.stderr).toBe('');
  expect(list.stdout).toContain(`1 cached environment`);
  expect(list.stdout).toContain(`${entries()[0]!.slice(0, 12)}  ${repo}`);

  // An entry older than DRYDOCK_ENV_CACHE_HOURS (12 by default) misses, and is made again.
  const meta = path.join(cacheDir(), entries()[0]!, 'meta.json');
  const made = JSON.parse(readFileSync(meta, 'utf8')) as { createdAt: number };
  writeFileSync(meta, JSON.stringify({ ...made, createdAt: made.createdAt - 13 * 3600_000 }));
  const expired = await goal(repo, 'expired');
  expect(expired.result.status).toBe('succeeded');
  expect(expired.setupLog).toMatch(/the cached environment expired \(13 h old, lifetime 12 h\); running setup/);
  expect(expired.setupLog).toContain('$ setup (');
  expect(stampOf(expired.saw)).not.toBe(stampOf(cold.saw));
  expect(entries()).toHaveLength(1);

  // A lockfile change at the base commit misses (and is cached under its own key).
  writeFileSync(path.join(repo, 'package-lock.json'), '{ "lockfileVersion": 3, "packages": {} }\n');
  gitIn(repo, 'commit', '-q', '-am', 'lockfile');
  const changed = await goal(repo, 'lockfile');
  expect(changed.result.status).toBe('succeeded');
  expect(changed.setupLog).toContain('no cached environment for this key; running setup');
  expect(stampOf(changed.saw)).not.toBe(stampOf(cold.saw));
  expect(entries()).toHaveLength(2);

  // A truncated snapshot: the goal sets up cold and says so.
  const newest = entries()
    .map((k) => ({ k, t: statSync(path.join(cacheDir(), k)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0]!.k;
  const tar = path.join(cacheDir(), newest, 'workspace.tar');
  truncateSync(tar, Math.floor(statSync(tar).size / 2));
  const damaged = await goal(repo, 'damaged');
  expect(damaged.result.status).toBe('succeeded');
  expect(damaged.setupLog).toMatch(
    /the cached snapshot is unusable \(workspace\.tar has \d+ bytes, \d+ expected\); removed it; running setup/,
  );
  expect(damaged.setupLog).toContain('$ setup (');

  // prune removes the repository's entries.
  const prune = await runCli(['env', 'prune', '--repo', repo], cliEnv());
  expect(prune.stderr).toBe('');
  expect(prune.stdout).toContain('removed 2 cached environments');
  expect(entries()).toEqual([]);
}, 600_000);

test('a maintenance script that fails is a setup failure of the goal that starts from the cache', async () => {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, '.drydock'), { recursive: true });
  writeFileSync(
    path.join(repo, '.drydock', 'environment.json'),
    JSON.stringify({ ...ENVIRONMENT, maintenance: 'echo refreshing; exit 3' }),
  );
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'environment');
  expect((await goal(repo, 'mcold')).result.status).toBe('succeeded');

  const handle = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: `envcache-mfail-${RUN}`,
    args: [{ repository: repo, goal: 'Make the failing test pass', setup: { script: SETUP, secrets: ['NPM_TOKEN'] } }],
  });
  const failed = await handle.result().then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  // A setup failure is hopeless: the execution fails with it (its type and message), no model call is made.
  let cause: unknown = failed;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('SetupFailed');
  expect((cause as ApplicationFailure).message).toContain('the maintenance script failed (exit 3)');
  expect((cause as ApplicationFailure).message).toContain('refreshing');
  expect(stack.model.requests).toHaveLength(0);
}, 300_000);
