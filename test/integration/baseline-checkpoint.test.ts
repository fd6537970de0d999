/**
 * Checkpoints against the post-setup baseline, in real sandboxes: a checkpoint
 * holds what the agent changed and nothing setup made (a venv, a rewritten
 * lockfile), and a sandbox rebuilt as a lost one is (copy, setup again,
 * baseline, restore) holds exactly the files the first one held. Real Docker.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import * as tar from 'tar-stream';
import { Readable } from 'node:stream';
import {
  CheckpointingSandbox,
  checkpointWorkspace,
  markBaseline,
  restoreWorkspace,
} from '../../activities/sandbox/checkpoint';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { FsArtifactStore } from '../../activities/store/fs-store';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const run = randomBytes(4).toString('hex');
const ids: string[] = [];
let repoTar: Buffer;
let base: string;
let storeDir: string;
let store: FsArtifactStore;

/** A setup phase: a venv-like tree (with a symlink), a rewritten lockfile, a deleted tracked file. */
const SETUP = [
  'mkdir -p .venv/bin .venv/lib/pkg',
  'ln -s /usr/bin/python3 .venv/bin/python',
  'for i in $(seq 1 200); do echo "X = $i" > .venv/lib/pkg/m$i.py; done',
  'echo \'{"lockfileVersion": 3}\' > package-lock.json',
  'rm generated.txt',
].join(' && ');

/** The agent: a fix, a new file, a file in .venv, a setup file changed and one deleted, a tracked file deleted, a mode. */
const AGENT = [
  'echo "exports.add = (a, b) => a + b;" > math.js',
  'printf "\\000\\377bin" > data.bin',
  'echo agent > .venv/agent.txt',
  'echo patched > .venv/lib/pkg/m1.py',
  'rm .venv/lib/pkg/m2.py README.md',
  'chmod +x tool.sh',
].join(' && ');

async function freshSandbox(label: string): Promise<string> {
  const { id } = await sandbox.create({
    name: `drydock-test-blck-${label}-${run}`,
    image: await resolveSandboxImage(),
    labels: { 'drydock.test': 'baseline-checkpoint' },
  });
  ids.push(id);
  await sandbox.putArchive(id, repoTar, '/workspace');
  const setup = await sandbox.exec(id, ['bash', '-c', SETUP]);
  expect(setup.exitCode).toBe(0);
  await markBaseline(sandbox, id, base);
  return id;
}

/** Every path of the workspace but .git, with its type, mode and content hash. */
async function filesOf(id: string): Promise<string> {
  const r = await sandbox.exec(id, [
    'bash',
    '-c',
    "find . -path ./.git -prune -o \\( -type f -o -type l \\) -printf '%y %m %p %l\\n' | sort; find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha1sum",
  ]);
  return r.stdout;
}

/** The member names of a checkpoint tar. */
async function membersOf(data: Buffer): Promise<string[]> {
  const extract = tar.extract();
  const names: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      names.push(header.name);
      stream.on('end', next);
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from(data).pipe(extract);
  await done;
  return names.sort();
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-blck-'));
  writeFileSync(path.join(dir, 'math.js'), 'exports.add = (a, b) => a - b;\n');
  writeFileSync(path.join(dir, 'README.md'), '# r\n');
  writeFileSync(path.join(dir, 'tool.sh'), 'echo tool\n');
  writeFileSync(path.join(dir, 'generated.txt'), 'gen\n');
  writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion": 1}\n');
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@t',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@t',
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env }).toString().trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  base = git('rev-parse', 'HEAD');
  repoTar = execFileSync('tar', ['-C', dir, '-c', '.']);
  rmSync(dir, { recursive: true, force: true });
  storeDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-blck-store-'));
  store = new FsArtifactStore(storeDir);
}, 60_000);

afterAll(async () => {
  for (const id of ids) await sandbox.destroy(id).catch(() => undefined);
  rmSync(storeDir, { recursive: true, force: true });
});

test("a checkpoint holds the agent's changes only, and a rebuilt sandbox restored from it holds the same files", async () => {
  const first = await freshSandbox('a');
  const key = 'goals/t/checkpoints/00002.tar';
  const ck = new CheckpointingSandbox(sandbox, base, key);
  const r = await ck.exec(first, ['bash', '-c', AGENT]);
  expect(r.exitCode).toBe(0);
  expect(ck.patch).toBeDefined();
  // Nothing setup made is in it; the deleted paths travel as a list.
  expect(await membersOf(ck.patch!)).toEqual([
    '.git/drydock-checkpoint-deleted',
    '.venv/agent.txt',
    '.venv/lib/pkg/m1.py',
    'data.bin',
    'math.js',
    'tool.sh',
  ]);
  await store.put(key, ck.patch!);

  // The same workspace again: the stored checkpoint still holds (byte for byte the same tar).
  const again = new CheckpointingSandbox(sandbox, base, 'goals/t/checkpoints/00003.tar');
  await again.exec(first, ['bash', '-c', 'touch math.js']);
  expect(again.unchangedSince).toBe(key);
  // The separate checkpoint (when the combined one could not be taken) is the same tar.
  await checkpointWorkspace(sandbox, first, store, base, 'goals/t/checkpoints/00004.tar');
  const separate = await store.get('goals/t/checkpoints/00004.tar');
  expect(separate.equals(ck.patch!)).toBe(true);

  // A lost sandbox: a new one, the repository, setup again, its baseline, then the checkpoint.
  const second = await freshSandbox('b');
  await restoreWorkspace(sandbox, second, store, base, key);
  expect(await filesOf(second)).toBe(await filesOf(first));
}, 120_000);
