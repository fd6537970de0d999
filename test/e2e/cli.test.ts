/**
 * The `drydock` command as a user runs it (the compiled CLI in a child
 * process) against a real dev server, real workers, Docker and git.
 */
import { useAgentStack } from '../support/agent-stack';
import { loadScript } from '../../scripted-model';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';
import { runCli } from '../support/cli';

let cliEnv: Record<string, string>;
const RUN = Math.random().toString(36).slice(2, 8);

const stack = useAgentStack();

beforeAll(() => {
  cliEnv = { TEMPORAL_ADDRESS: stack.env.address, OPENAI_BASE_URL: stack.model.url };
});

test('--help lists the commands', async () => {
  const r = await runCli(['--help']);
  expect(r.code).toBe(0);
  for (const cmd of ['doctor', 'start', 'status', 'result', 'cancel', 'pr list', 'pr show'])
    expect(r.stdout).toContain(`drydock ${cmd}`);
});

test('doctor is green when Temporal, Docker and the image are there', async () => {
  const r = await runCli(['doctor'], cliEnv);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/✔ Temporal +answers at/);
  expect(r.stdout).toMatch(/✔ Docker +engine .* answers/);
  expect(r.stdout).toMatch(/✔ sandbox image +drydock-sandbox:[0-9a-f]{12} present/);
  expect(r.stdout).toMatch(/✔ model +endpoint http/);
  expect(r.stdout).toMatch(/✔ seccomp +\/.*seccomp-moby-20\.10\.24-[0-9a-f]{12}\.json \(no AF_VSOCK sockets\)/);
  expect(r.stdout).toMatch(/✔ workspace disk 10 GiB per sandbox/);
});

test('doctor says when sandbox workspaces are not size-limited, and when the seccomp profile is missing', async () => {
  const r = await runCli(['doctor'], {
    ...cliEnv,
    DRYDOCK_SANDBOX_DISK: 'off',
    DRYDOCK_SECCOMP_PROFILE: '/nonexistent/seccomp.json',
  });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/• workspace disk not size-limited \(DRYDOCK_SANDBOX_DISK=off\)/);
  expect(r.stdout).toMatch(
    /✘ seccomp +no seccomp profile for sandboxes at \/nonexistent\/seccomp\.json: run scripts\/setup/,
  );
});

test('doctor names Docker and how to fix it when no engine answers', async () => {
  const r = await runCli(['doctor', '--json'], { ...cliEnv, DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  expect(r.code).toBe(1);
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
  expect(report.ok).toBe(false);
  const docker = report.checks.find((c) => c.name === 'Docker');
  expect(docker?.ok).toBe(false);
  expect(docker?.detail).toMatch(/no Docker engine answers .*npm run setup/);
});

test('doctor names Temporal when no server answers', async () => {
  const r = await runCli(['doctor'], { ...cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/✘ Temporal +cannot reach Temporal at 127.0.0.1:1 .*npm run dev-server/);
});

test.each([
  [['start', '--goal', 'x'], /--repo is required/],
  [['start', '--repo', '/nonexistent/repo', '--goal', 'x'], /--repo: no such directory \/nonexistent\/repo/],
  [['start', '--repo', '.', '--goal', '  '], /goal is required/],
  [
    ['start', '--repo', '.', '--goal', 'x', '--max-iterations=-3'],
    /option '--max-iterations <n>' argument '-3' is invalid. it must be 1 or more/,
  ],
  [['start', '--bogus'], /unknown option '--bogus'/],
  [['status', `no-such-goal-${RUN}`], /no goal with id no-such-goal/],
  [['frobnicate'], /unknown command "frobnicate"/],
])('bad input %j exits 2 (bad usage) with one clear line', async (args, message) => {
  const r = await runCli(args, cliEnv);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('an unknown branch is refused before any workflow starts', async () => {
  const repo = makeGitRepo('demo-repo');
  const r = await runCli(['start', '--repo', repo, '--branch', 'nope', '--goal', 'x'], cliEnv);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--branch: .* has no branch nope/);
});

test('start --wait runs the goal to a PR; status, result and pr show read it', async () => {
  const repo = makeGitRepo('demo-repo');
  stack.model.push(...loadScript(fixturePath('scripts/demo.json')));
  const id = `cli-${RUN}`;
  const started = await runCli(
    ['start', '--repo', repo, '--goal', 'Make the failing test in test/math.test.js pass', '--id', id, '--wait'],
    cliEnv,
  );
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  expect(started.stdout).toContain(`started ${id}`);
  expect(started.stdout).toContain(`http://localhost:8233/namespaces/default/workflows/${id}`);
  expect(started.stdout).toMatch(/status +succeeded/);
  // The Temporal UI reads the goal, its repository and policy from the start's own metadata.
  const described = await stack.env.client.workflow.getHandle(id).describe();
  expect(await described.staticSummary()).toBe('Make the failing test in test/math.test.js pass');
  expect(await described.staticDetails()).toMatch(new RegExp(`^\\*\\*repository\\*\\* ${repo}\n`));

  const status = await runCli(['status', id, '--json'], cliEnv);
  expect(status.code).toBe(0);
  const view = JSON.parse(status.stdout) as { phase: string; iteration: number; checks: { state: string } };
  expect(view).toEqual(
    expect.objectContaining({ phase: 'done', iteration: 6, checks: expect.objectContaining({ state: 'passed' }) }),
  );
  // The limits the goal's sandbox ran under, in one line (its disk: 10 GiB, the default).
  const plain = await runCli(['status', id], cliEnv);
  expect(plain.stdout).toMatch(
    /^sandbox limits +memory 2 GiB \(no swap\), 2 CPUs, 512 processes, disk 10 GiB, runtime runc$/m,
  );
  // And the rest of the sandbox policy it ran under: network per phase, writable paths, seccomp profile, services, runner.
  expect(plain.stdout).toMatch(
    /^sandbox policy +network none \(setup: bridge without host; services: internal\), writable \/workspace \+ \/home\/drydock \(disk 10 GiB\), \/tmp \(tmpfs 1 GiB\), seccomp seccomp-moby-[\w.-]+@sha256:[0-9a-f]{12}, service images: the sandbox image only, command runner on$/m,
  );

  const result = await runCli(['result', id, '--json'], cliEnv);
  const parsed = JSON.parse(result.stdout) as { status: string; pr: { id: string; branch: string } };
  expect(parsed.status).toBe('succeeded');
  expect(gitIn(repo, 'branch', '--list', parsed.pr.branch)).toContain(parsed.pr.branch);

  const list = await runCli(['pr', 'list'], cliEnv);
  expect(list.stdout).toContain(`${parsed.pr.id}  ${parsed.pr.branch} → main`);
  const show = await runCli(['pr', 'show', parsed.pr.id], cliEnv);
  expect(show.stdout).toContain('## Verification');
  expect(show.stdout).toContain('`npm test` → exit 0');

  const again = await runCli(['pr', 'show', 'nope'], cliEnv);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/no pull request nope/);
});
