/**
 * `drydock doctor --repo <path>` as a process: what drydock would do for a
 * local repository at HEAD, with no Temporal and no worker; an invalid
 * environment file lists every problem and exits non-zero.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import { runCli } from '../support/cli';
import { gitIn, makeGitRepo, removeGitRepos } from '../support/git-fixtures';

/** Nothing answers here: doctor --repo must not need Temporal. */
const NO_TEMPORAL = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

afterAll(() => removeGitRepos());

/** Writes files into a repository and commits them. */
function commit(repo: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), text);
  }
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'change');
}

test('a Python repository with a venv setup: the file valid, setup, detected pytest and why, env, toolchains', async () => {
  const repo = makeGitRepo('py-repo');
  commit(repo, {
    '.drydock/environment.json': JSON.stringify({
      setup: ['python3 -m venv .venv', '.venv/bin/pip install pytest'],
      env: { PATH: '/workspace/.venv/bin:$PATH' },
      toolchains: { node: '22' },
    }),
    'pyproject.toml': '[project]\nname = "calc"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',
  });
  const run = await runCli(['doctor', '--repo', repo], NO_TEMPORAL);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`repository   ${repo} at ${gitIn(repo, 'rev-parse', 'HEAD').slice(0, 12)} (HEAD)`);
  expect(run.stdout).toContain('environment  ✔ .drydock/environment.json is valid');
  expect(run.stdout).toContain('setup        python3 -m venv .venv\n             .venv/bin/pip install pytest\n');
  expect(run.stdout).toMatch(
    /checks {7}python3 -m pytest -q {2}\(detected: pyproject\.toml has \[tool\.pytest\.ini_options\]; if setup leaves a virtualenv in \.venv or venv, its python runs pytest/,
  );
  expect(run.stdout).toContain('env          PATH=/workspace/.venv/bin:$PATH\n');
  expect(run.stdout).toContain('toolchains   node 22 (.drydock/environment.json toolchains.node)\n');
  expect(run.stdout).toContain('internet     off (the agent phase has no network but its services)\n');
});

test('a Node repository with pnpm and declared checks: the declared checks override detection (--json)', async () => {
  const repo = makeGitRepo('demo-repo');
  commit(repo, { 'pnpm-lock.yaml': 'lockfileVersion: 9.0\n' });
  const detected = await runCli(['doctor', '--repo', repo, '--json'], NO_TEMPORAL);
  expect(detected.code).toBe(0);
  expect(JSON.parse(detected.stdout)).toMatchObject({
    environmentFile: { present: false, valid: true, problems: [] },
    checks: [{ command: 'pnpm test', source: 'detected', reason: 'package.json has a test script; pnpm-lock.yaml' }],
    env: {},
    toolchains: {},
    services: [],
  });
  commit(repo, {
    '.drydock/environment.json': JSON.stringify({
      setup: 'pnpm install --frozen-lockfile',
      checks: ['pnpm run lint', 'pnpm test'],
      services: [{ name: 'cache', command: 'redis-server', ready: 'redis-cli ping' }],
      internet: { mode: 'allowlist', presets: ['package-registries'], domains: ['*.example.org'], methods: ['GET'] },
    }),
  });
  const declared = await runCli(['doctor', '--repo', repo, '--json'], NO_TEMPORAL);
  expect(JSON.parse(declared.stdout)).toMatchObject({
    environmentFile: { present: true, valid: true },
    setup: 'pnpm install --frozen-lockfile',
    checks: [
      { command: 'pnpm run lint', source: 'environment file' },
      { command: 'pnpm test', source: 'environment file' },
    ],
    services: [{ name: 'cache', command: 'redis-server', ready: 'redis-cli ping' }],
    internet: { mode: 'allowlist', presets: ['package-registries'], domains: ['*.example.org'], methods: ['GET'] },
  });
  commit(repo, { '.nvmrc': 'v22\n' });
  const nvmrc = await runCli(['doctor', '--repo', repo], NO_TEMPORAL);
  expect(nvmrc.stdout).toContain('toolchains   node 22 (.nvmrc)\n');
  expect(nvmrc.stdout).toContain(
    'internet     allowlist through the egress proxy: preset package-registries, *.example.org; plain http GET only\n',
  );
});

test('Go and Rust repositories without an environment file: go test, cargo test', async () => {
  const repo = makeGitRepo('demo-repo');
  gitIn(repo, 'rm', '-q', 'package.json');
  commit(repo, { 'go.mod': 'module example.com/m\n\ngo 1.22\n', 'Cargo.toml': '[package]\nname = "m"\n' });
  const run = await runCli(['doctor', '--repo', repo], NO_TEMPORAL);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('environment  no .drydock/environment.json (defaults)');
  expect(run.stdout).toContain(
    'checks       go test ./...  (detected: go.mod)\n             cargo test  (detected: Cargo.toml)\n',
  );
});

test('an invalid environment file: every problem, one line each, and a non-zero exit', async () => {
  const repo = makeGitRepo('demo-repo');
  commit(repo, {
    '.drydock/environment.json': JSON.stringify({ setup: 42, chekcs: ['npm test'], toolchains: { node: 'banana' } }),
  });
  const run = await runCli(['doctor', '--repo', repo], NO_TEMPORAL);
  expect(run.code).toBe(1);
  expect(run.stdout.split('\n').slice(1, 5)).toEqual([
    'environment  ✘ .drydock/environment.json is invalid; a goal on this commit fails with InvalidEnvironment:',
    '               .drydock/environment.json: setup: must be a command string or a list of command strings, got 42',
    '               .drydock/environment.json: toolchains.node: "banana" is not a Node version (use a major such as 22, or an exact version such as 22.11.0)',
    '               .drydock/environment.json: unknown key "chekcs" (did you mean "checks"?)',
  ]);
  const json = await runCli(['doctor', '--repo', repo, '--json'], NO_TEMPORAL);
  expect(json.code).toBe(1);
  expect(
    (JSON.parse(json.stdout) as { environmentFile: { problems: string[] } }).environmentFile.problems,
  ).toHaveLength(3);
});

test('HEAD is what counts: a symlinked .drydock is refused; an uncommitted file is not read; a bad path is one line', async () => {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, 'conf'));
  writeFileSync(path.join(repo, 'conf', 'environment.json'), '{}');
  symlinkSync('conf', path.join(repo, '.drydock'));
  commit(repo, {});
  const symlinked = await runCli(['doctor', '--repo', repo], NO_TEMPORAL);
  expect(symlinked.code).toBe(1);
  expect(symlinked.stdout).toContain('.drydock must be a folder in the repository, not a symlink');

  const clean = makeGitRepo('demo-repo');
  mkdirSync(path.join(clean, '.drydock'));
  writeFileSync(path.join(clean, '.drydock', 'environment.json'), '{ not committed');
  expect(await runCli(['doctor', '--repo', clean], NO_TEMPORAL)).toMatchObject({ code: 0 });

  const missing = await runCli(['doctor', '--repo', path.join(clean, 'nope')], NO_TEMPORAL);
  expect(missing).toMatchObject({
    code: 2, // bad usage (an invalid environment file is a failed check: 1)
    stdout: '',
    stderr: `drydock: --repo: no such directory ${path.join(clean, 'nope')}\n`,
  });
});
