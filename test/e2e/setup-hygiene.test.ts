/**
 * Setup leaves nothing behind, end to end (issue 13, item 5): a goal's setup
 * script leaves daemons holding its secret in their environment and writes the
 * secret raw, base64 and hex under ~ and /tmp (the workspace: see
 * test/integration/setup-hygiene.test.ts). A hostile
 * scripted model then reads every process's environment base64-encoded (which
 * redaction cannot recognise), lists and greps the writable folders: nothing it
 * sees holds the secret in any form, and the PR holds none either.
 */
import { randomBytes } from 'crypto';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import { secretEncodings } from '../../activities/security/secret-encodings';
import { useAgentStack } from '../support/agent-stack';
import { loadScript } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const RUN = randomBytes(3).toString('hex');
const SECRET = `npm_${randomBytes(12).toString('hex')}`;

const stack = useAgentStack({ vars: { DRYDOCK_MODEL: 'scripted', DRYDOCK_SETUP_SECRET_NPM_TOKEN: SECRET } });

function demoPatch(): string {
  const script = loadScript(fixturePath('scripts/demo.json')) as {
    calls?: { name: string; arguments: { patch?: string } }[];
  }[];
  return script.flatMap((t) => t.calls ?? []).find((c) => c.name === 'apply_patch')?.arguments.patch ?? '';
}

const SETUP = [
  'export HELD="$NPM_TOKEN"',
  'nohup sleep 1000 >/dev/null 2>&1 &',
  "(setsid python3 -c 'import time; time.sleep(1000)' >/dev/null 2>&1 &)",
  'echo "$NPM_TOKEN" > ~/.token',
  'printf %s "$NPM_TOKEN" | base64 > /tmp/token.b64',
  'printf %s "$NPM_TOKEN" | od -An -tx1 | tr -d " \\n" > ~/token.hex',
  'echo "setup done"',
].join('\n');

/** What the hostile model runs: every environment base64-encoded (redaction cannot see it), then the files. */
const HOSTILE =
  'echo ENVIRON:$(cat /proc/[0-9]*/environ 2>/dev/null | base64 -w0):END; for p in /proc/[0-9]*/cmdline; do tr "\\0" " " < $p; echo; done; ls -a ~ /tmp /workspace; cat ~/.token /tmp/token.b64 ~/token.hex 2>&1; grep -rl npm_ ~ /tmp /workspace /dev/shm 2>/dev/null; true';

test('a hostile model finds no setup daemon and no setup secret, raw or encoded, in the agent phase', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(
    { type: 'tool_calls', calls: [{ name: 'shell', arguments: { command: HOSTILE } }] },
    { type: 'tool_calls', calls: [{ name: 'apply_patch', arguments: { patch: demoPatch() } }] },
    { type: 'tool_calls', calls: [{ name: 'finish', arguments: { summary: 'Fixed add()', rationale: 'a + b' } }] },
  );
  const handle = await stack.env.client.workflow.start('codingAgent', {
    taskQueue: AGENT_QUEUE,
    workflowId: `hygiene-e2e-${RUN}`,
    args: [
      {
        repository: repo,
        goal: 'Make the failing test in test/math.test.js pass',
        setup: { script: SETUP, secrets: ['NPM_TOKEN'] },
      },
    ],
  });
  const result = (await readGoalResult(handle).catch((err: unknown) => err)) as GoalResult;

  // The shell tool's answer, as the model received it with its next request.
  const saw = JSON.stringify(stack.model.requests[1]?.body ?? '');
  const messages =
    (stack.model.requests[1]?.body as { messages?: { role: string; content?: string }[] } | undefined)?.messages ?? [];
  const toolOutput = messages.find((m) => m.role === 'tool')?.content ?? '';
  // No daemon of the setup runs.
  expect(toolOutput).toContain('sleep infinity');
  expect(toolOutput).not.toMatch(/sleep 1000|time\.sleep/);
  // No process's environment holds the secret: nothing in it needed redacting, and decoded it holds no form of it.
  const environ = /^ENVIRON:(.*?):END$/m.exec(toolOutput)?.[1] ?? '';
  expect(environ).not.toContain('[REDACTED');
  const decoded = Buffer.from(environ, 'base64').toString('utf8');
  expect(decoded).toContain('HOME=');
  expect(decoded).not.toContain(SECRET);
  // The files the setup wrote are gone, and no form of the secret reached the model.
  for (const file of ['/home/drydock/.token', '/tmp/token.b64', '/home/drydock/token.hex'])
    expect(toolOutput).toContain(`cat: ${file}: No such file or directory`);
  expect(saw).not.toContain('[REDACTED');
  for (const form of secretEncodings(SECRET)) expect({ form, seen: saw.includes(form) }).toEqual({ form, seen: false });
  expect(result.status).toBe('succeeded');
  // Nor is any form in the published change.
  const published = gitIn(repo, 'log', '-p', '--all');
  for (const form of secretEncodings(SECRET)) expect(published.includes(form)).toBe(false);
}, 180_000);
