/**
 * What the post-setup baseline costs on a big setup output: a sandbox whose
 * setup left a venv-like tree of many files (not ignored) in the workspace.
 * Measures, through the real Docker engine: recording the baseline (the host
 * reading the engine's tar; the sandbox's index), the change the host makes
 * with it (what collectChange does after its clone), a checkpoint after a
 * command that changes nothing and one that changes a file, beside a bare
 * exec; and the change without a baseline (what happened before: the whole
 * tree is the change, refused by the change limit).
 *
 *   npm run bench:baseline -- [--files 100000] [--mb 500]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import { CheckpointingSandbox, markBaseline } from '../activities/sandbox/checkpoint';
import { DockerSandbox } from '../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../activities/sandbox/image-tag';
import { WORKSPACE } from '../activities/sandbox/sandbox';
import { computeWorkspaceChange } from '../activities/host/workspace-change';
import { readWorkspaceBaseline, type WorkspaceBaseline } from '../activities/host/workspace-baseline';
import { CHANGE_LIMIT_DEFAULTS, LOCAL_EXCLUDES } from '../activities/host/host-context';

function log(line: string): void {
  process.stderr.write(`bench:baseline: ${line}\n`);
}

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    log(`${what}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
  }
}

/** Writes N files adding up to about MB megabytes under .venv/lib, in the sandbox (python3, one process). */
function setupScript(files: number, mb: number): string {
  const size = Math.max(1, Math.floor((mb * 1024 * 1024) / files));
  return `import os
os.makedirs('.venv/bin', exist_ok=True)
os.symlink('/usr/bin/python3', '.venv/bin/python')
for i in range(${files}):
    d = '.venv/lib/site-packages/pkg%d' % (i // 500)
    if i % 500 == 0: os.makedirs(d, exist_ok=True)
    with open('%s/m%d.py' % (d, i), 'wb') as f: f.write((b'# %d ' % i).ljust(${size}, b'x'))
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { files: { type: 'string', default: '100000' }, mb: { type: 'string', default: '500' } },
  });
  const files = Number(values.files);
  const mb = Number(values.mb);
  if (!Number.isInteger(files) || files < 1 || !(mb > 0)) throw new Error('--files and --mb take positive numbers');
  const sandbox = new DockerSandbox({ docker: new Dockerode() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-bench-baseline-'));
  const run = randomBytes(3).toString('hex');
  let id: string | undefined;
  try {
    const origin = path.join(dir, 'origin');
    mkdirSync(path.join(origin, 'src'), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(path.join(origin, 'src', `f${i}.js`), `exports.v = ${i};\n`);
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@b',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@b',
    };
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env }).toString().trim();
    git(origin, 'init', '-q', '-b', 'main');
    git(origin, 'add', '-A');
    git(origin, 'commit', '-q', '-m', 'base');
    const base = git(origin, 'rev-parse', 'HEAD');
    ({ id } = await sandbox.create({
      name: `drydock-bench-baseline-${run}`,
      image: await resolveSandboxImage(),
      labels: { 'drydock.bench': 'baseline' },
    }));
    const containerId = id;
    await sandbox.putArchive(containerId, execFileSync('tar', ['-C', origin, '-c', '.']), WORKSPACE);
    const setup = await timed(`setup: ${files} files, ${mb} MB in .venv`, () =>
      sandbox.exec(containerId, ['python3', '-c', setupScript(files, mb)], { timeoutMs: 900_000 }),
    );
    if (setup.exitCode !== 0) throw new Error(`setup failed: ${setup.stderr}`);

    const baseline: WorkspaceBaseline = await timed('baseline on the host (engine tar → manifest)', () =>
      readWorkspaceBaseline({
        archive: () => sandbox.getArchive(containerId, WORKSPACE),
        maxWorkspaceBytes: CHANGE_LIMIT_DEFAULTS.maxWorkspaceBytes,
      }),
    );
    log(`baseline: ${baseline.size} paths`);
    const indexed = await timed('baseline in the sandbox (index of hashes)', () =>
      markBaseline(sandbox, containerId, base),
    );
    log(`sandbox index: ${indexed} paths`);

    await timed('bare exec (true)', () => sandbox.exec(containerId, ['true']));
    const key = (n: number) => `goals/bench/checkpoints/${String(n).padStart(5, '0')}.tar`;
    const first = new CheckpointingSandbox(sandbox, base, key(1));
    await timed('exec + checkpoint, an agent edit', () =>
      first.exec(containerId, ['bash', '-c', 'echo "exports.v = -1;" > src/f1.js && echo new > src/new.js']),
    );
    log(`checkpoint: ${first.patch?.length ?? 0} bytes`);
    const again = new CheckpointingSandbox(sandbox, base, key(2));
    await timed('exec + checkpoint, nothing changed (names the stored one)', () => again.exec(containerId, ['true']));
    if (again.unchangedSince !== key(1))
      log(`note: the unchanged checkpoint was taken again (${String(again.patch?.length)} bytes)`);

    const change = async (withBaseline: boolean) => {
      const repoDir = path.join(mkdtempSync(path.join(dir, 'host-')), 'repo');
      git(path.dirname(repoDir), 'clone', '-q', '--no-checkout', origin, repoDir);
      const scratchDir = path.join(path.dirname(repoDir), 'files');
      mkdirSync(scratchDir);
      return computeWorkspaceChange({
        repoDir,
        baseCommit: base,
        archive: () => sandbox.getArchive(containerId, WORKSPACE),
        scratchDir,
        maxChangeBytes: CHANGE_LIMIT_DEFAULTS.maxChangeBytes,
        maxWorkspaceBytes: CHANGE_LIMIT_DEFAULTS.maxWorkspaceBytes,
        excludes: LOCAL_EXCLUDES,
        baseline: withBaseline ? baseline : undefined,
      });
    };
    const made = await timed('the change with the baseline (collectChange after its clone)', () => change(true));
    log(`change: ${made.files.map((f) => `${f.status} ${f.path}`).join(', ')}`);
    await timed('the change without a baseline (as before)', () =>
      change(false).then(
        (c) => log(`without a baseline the change holds ${c.files.length} files`),
        (err: unknown) => log(`without a baseline: ${(err as Error).message.slice(0, 160)}`),
      ),
    );
  } finally {
    if (id) await sandbox.destroy(id).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:baseline: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
