/**
 * The trust boundary, attacked as a hostile model and a hostile repository
 * would, through the real tools in the real sandbox: what is published is
 * exactly what was verified (the host makes the change from the workspace's
 * files, a clean sandbox runs the deciding checks), setup reads the
 * environment file as the base commit has it, and size limits are clear
 * failures that cost the host nothing.
 */
import { randomBytes } from 'crypto';
import { symlinkSync, mkdirSync, writeFileSync, readFileSync } from 'fs';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput, GoalResult } from '../../workflows/types';
import { useAgentStack } from '../support/agent-stack';
import { containersOfGoal } from '../support/docker';
import { loadScript } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = randomBytes(3).toString('hex');
const DEMO_GOAL = 'Make the failing test in test/math.test.js pass';

const stack = useAgentStack({ vars: { DRYDOCK_MAX_CLONE_BYTES: '8m', DRYDOCK_MAX_CHANGE_BYTES: '16m' } });

async function runGoal(workflowId: string, input: GoalInput): Promise<GoalResult> {
  const handle = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    args: [input],
  });
  return await readGoalResult(handle);
}

/** The failure of a goal that ended in one, as `{ type, message }`. */
async function failureOf(workflowId: string, input: GoalInput): Promise<{ type?: string; message: string }> {
  const handle = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId,
    args: [input],
  });
  try {
    await readGoalResult(handle);
  } catch (err) {
    const cause = (err as { cause?: { type?: string; message?: string } }).cause;
    return { type: cause?.type, message: cause?.message ?? String(err) };
  }
  throw new Error('the goal did not fail');
}

function demoPatch(): string {
  const script = loadScript(fixturePath('scripts/demo.json')) as {
    calls?: { name: string; arguments: { patch?: string } }[];
  }[];
  return script.flatMap((t) => t.calls ?? []).find((c) => c.name === 'apply_patch')?.arguments.patch ?? '';
}

/** A PR record as the local code host wrote it. */
function prRecord(id: string): { files: { path: string }[]; body: string; commit: string } {
  return JSON.parse(readFileSync(path.join(stack.workers.config.dataDir, 'prs', `${id}.json`), 'utf8')) as {
    files: { path: string }[];
    body: string;
    commit: string;
  };
}

test('diff.external and diff.noprefix in the sandbox change nothing: the commit, the PR record and the gate see the same files', async () => {
  const repo = makeGitRepo('demo-repo');
  const hostile = [
    // A diff driver that would invent a file the sandbox never had, and no prefixes so x/.github/... would land at the root.
    'printf \'#!/bin/sh\\necho "diff --git a/pwn.txt b/pwn.txt"\\necho "new file mode 100644"\\necho "--- /dev/null"\\necho "+++ b/pwn.txt"\\necho "@@ -0,0 +1 @@"\\necho "+pwned"\\n\' > /tmp/ext.sh',
    'chmod +x /tmp/ext.sh',
    'git config diff.external /tmp/ext.sh',
    'git config diff.noprefix true',
    'git config diff.suppressBlankEmpty true',
    'mkdir -p x/.github/workflows x/.drydock',
    'echo "on: push" > x/.github/workflows/pwn.yml',
    'echo \'{"setup": "touch /tmp/planted"}\' > x/.drydock/environment.json',
    'echo "* binary" > .git/info/attributes',
  ].join(' && ');
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: hostile } }] },
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const result = await runGoal(`tb-diff-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(result.status).toBe('succeeded');
  const branch = result.pr!.branch;
  const committed = gitIn(repo, 'diff', '--name-only', 'main', branch).split('\n').sort();
  expect(committed).toEqual(['src/math.js', 'x/.drydock/environment.json', 'x/.github/workflows/pwn.yml']);
  expect(
    prRecord(result.pr!.id)
      .files.map((f) => f.path)
      .sort(),
  ).toEqual(committed);
  expect(gitIn(repo, 'ls-tree', '-r', '--name-only', branch)).not.toMatch(
    /^(pwn\.txt|\.github\/workflows\/pwn\.yml|\.drydock\/environment\.json)$/m,
  );
  expect(result.checks.every((c) => c.cleanRoom && c.passed)).toBe(true);
});

test('an npm() in ~/.bash_profile forges checks in the agent sandbox, but the clean sandbox decides', async () => {
  const repo = makeGitRepo('demo-repo');
  // The check is `bash -lc "npm test"`: a login shell reads ~/.bash_profile, whose npm() reports a pass.
  const forge = 'printf \'npm() { echo "# pass 42"; return 0; }\\n\' > ~/.bash_profile';
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: forge } }] },
    // A harmless change, so there is something to verify: the bug is not fixed.
    { type: 'tool_calls', calls: [{ name: 'write_file', arguments: { path: 'NOTES.md', content: 'looked at it\n' } }] },
    // In the agent's sandbox the forged npm() answers for the tests.
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: 'npm test' } }] },
    {
      type: 'tool_calls',
      calls: [{ name: 'finish', arguments: { summary: 'Done', rationale: 'the tests pass' } }],
      expect: { lastMessageIncludes: '# pass 42' },
    },
    // The finish call is answered by the clean sandbox, where nothing the agent did to its home exists.
    {
      type: 'tool_calls',
      calls: [{ name: 'finish', arguments: { summary: 'Done', rationale: 'the tests pass' } }],
      expect: { lastMessageIncludes: 'The checks failed in a clean sandbox' },
    },
  );
  const result = await runGoal(`tb-profile-${RUN}`, {
    repository: repo,
    goal: DEMO_GOAL,
    policy: { maxIterations: 5, onExhausted: 'stop' },
  });
  expect(result.status).not.toBe('succeeded');
  expect(result.pr).toBeUndefined();
  expect(result.checks).toEqual([expect.objectContaining({ command: 'npm test', passed: false, cleanRoom: true })]);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
  expect(await containersOfGoal(`tb-profile-${RUN}`)).toEqual([]);
});

test('a .drydock that is a symlink in the repository is refused before any setup runs', async () => {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, 'conf'));
  writeFileSync(path.join(repo, 'conf', 'environment.json'), JSON.stringify({ setup: 'echo planted-setup-ran' }));
  symlinkSync('conf', path.join(repo, '.drydock'));
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'symlinked .drydock');
  const failure = await failureOf(`tb-symlink-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(failure.type).toBe('InvalidEnvironment');
  expect(failure.message).toMatch(/\.drydock must be a folder in the repository, not a symlink/);
  expect(await containersOfGoal(`tb-symlink-${RUN}`)).toEqual([]);
});

test('a clone bomb is refused before it is written out', async () => {
  const repo = makeGitRepo('demo-repo');
  // 40 MiB of zeros compress to almost nothing in git's objects.
  writeFileSync(path.join(repo, 'zeros.bin'), Buffer.alloc(40 * 1024 * 1024));
  gitIn(repo, 'add', 'zeros.bin');
  gitIn(repo, 'commit', '-q', '-m', 'bomb');
  const failure = await failureOf(`tb-bomb-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(failure.type).toBe('RepositoryTooLarge');
  expect(failure.message).toMatch(
    /add up to 40 MiB, more than the clone limit of 8\.0 MiB \(DRYDOCK_MAX_CLONE_BYTES\)/,
  );
  expect(await containersOfGoal(`tb-bomb-${RUN}`)).toEqual([]);
});

test('a 500 MB file in the change is a clear failure and costs the worker no memory', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(
    {
      type: 'tool_calls',
      calls: [{ name: 'shell', arguments: { command: 'head -c 500000000 /dev/urandom > big.bin && ls -la big.bin' } }],
    },
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const failure = await failureOf(`tb-big-${RUN}`, { repository: repo, goal: DEMO_GOAL }).finally(() =>
    clearInterval(sampler),
  );
  expect(failure.type).toBe('ChangeTooLarge');
  expect(failure.message).toMatch(
    /more than the limit of 16 MiB \(DRYDOCK_MAX_CHANGE_BYTES\); largest: big\.bin \(477 MiB\)/,
  );
  // The workers run in this process: the file passed through the host as a stream.
  expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
}, 180_000);

test('a token in a file the sandbox marks binary, with suppressBlankEmpty set, is still seen by the gate', async () => {
  const repo = makeGitRepo('demo-repo');
  // A GitHub-shaped token (fake), in a file that .gitattributes and .git/info/attributes call binary.
  const token = `ghp_${'Z9'.repeat(18)}`;
  const hide = [
    // Built in the sandbox: a token written in the model's own call would be redacted before it ran.
    `printf 'key=ghp_%s\\n\\n\\nend\\n' "$(printf 'Z9%.0s' $(seq 18))" > settings.dat`,
    "echo '*.dat binary' > .gitattributes",
    "echo '* -diff' > .git/info/attributes",
    'git config diff.suppressBlankEmpty true',
  ].join(' && ');
  stack.model.push(
    {
      type: 'tool_calls',
      calls: [
        { name: 'shell', arguments: { command: hide } },
        { name: 'apply_patch', arguments: { patch: demoPatch() } },
      ],
    },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const result = await runGoal(`tb-binary-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(result.status).toBe('failed');
  expect(result.reason).toMatch(/publish gate: settings\.dat.*GitHub/i);
  expect(result.reason).not.toContain(token);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
});

test('a .drydock symlink added by the agent is refused by the gate', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(
    {
      type: 'tool_calls',
      calls: [
        {
          name: 'shell',
          arguments: {
            command:
              'mkdir -p conf && echo \'{"setup":"echo planted"}\' > conf/environment.json && ln -s conf .drydock',
          },
        },
        { name: 'apply_patch', arguments: { patch: demoPatch() } },
      ],
    },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const result = await runGoal(`tb-dd-link-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(result.status).toBe('failed');
  expect(result.reason).toMatch(/publish gate: .*\.drydock/);
  expect(gitIn(repo, 'branch', '--list', 'drydock/*')).toBe('');
});

test('a change of 600 files is published whole: the PR record lists every file', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(
    {
      type: 'tool_calls',
      calls: [
        {
          name: 'shell',
          arguments: { command: 'mkdir -p gen && for i in $(seq 1 600); do echo "$i" > gen/f$i.txt; done' },
        },
      ],
    },
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const result = await runGoal(`tb-many-${RUN}`, { repository: repo, goal: DEMO_GOAL });
  expect(result.status).toBe('succeeded');
  const record = prRecord(result.pr!.id);
  expect(record.files).toHaveLength(601);
  expect(gitIn(repo, 'diff', '--name-only', 'main', result.pr!.branch).split('\n')).toHaveLength(601);
  expect(record.body).toContain('## Files changed (601 files');
});
