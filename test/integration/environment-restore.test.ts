/**
 * Restoring a cached environment on the host, straight into the sandbox's
 * disk (issue 17): a hostile snapshot (a `../` name, an absolute name, a
 * symlink and then a file through it, a symlink already in the folder, a hard
 * link out, a device node) writes nothing outside the disk's folder and leaves
 * the folder as it was; a real snapshot goes in owned by the sandbox user with
 * its modes masked and its times kept; and the baseline derived from the
 * snapshot's manifest is exactly what the host reads from the restored
 * workspace. Real Docker, loop devices, root.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import * as tar from 'tar-stream';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import {
  MIN_DISK_BYTES,
  probeSandboxDisks,
  SandboxDisks,
  type SandboxDisk,
} from '../../activities/sandbox/sandbox-disk';
import {
  coveredBy,
  readSnapshotManifest,
  restoreSnapshot,
  SnapshotUnusableError,
  takeSnapshot,
} from '../../activities/environment/environment-snapshot';
import { extractInto, UnsafeEntryError } from '../../activities/environment/snapshot-extract';
import { deriveBaseline, warmOrderProblem } from '../../activities/environment/snapshot-manifest';
import { readWorkspaceBaseline, type WorkspaceBaseline } from '../../activities/host/workspace-baseline';
import { tarOf } from '../../activities/host/clone-for-goal';

const docker = new Dockerode();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-restore-'));
const disks = new SandboxDisks({ root, mountRoot: path.join(root, 'mnt'), sizeBytes: 256 * 1024 ** 2 });
const sandbox = new DockerSandbox({ docker, disks, commandRunner: false });
const names: string[] = [];
let image: string;

function uniqueName(): string {
  const name = `drydock-test-restore-${process.pid}-${randomBytes(4).toString('hex')}`;
  names.push(name);
  return name;
}

type Entry = { header: Parameters<tar.Pack['entry']>[0]; body?: string };

async function tarOfEntries(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries)
    await new Promise<void>((r, j) => pack.entry(e.header, e.body ?? '', (err) => (err ? j(err) : r())));
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** Every path below a folder (lstat, no following), with its kind. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      out.push(`${rel}${name}${st.isDirectory() ? '/' : st.isSymbolicLink() ? '@' : ''}`);
      if (st.isDirectory()) walk(p, `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}

let disk: SandboxDisk;
/** A host folder outside the disk, where a hostile entry would land. */
let outside: string;

beforeAll(async () => {
  image = await resolveSandboxImage();
  expect(await probeSandboxDisks(root, { local: true }, path.join(root, 'mnt'))).toEqual({ ok: true });
  disk = await disks.create();
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-outside-'));
}, 60_000);

afterAll(async () => {
  for (const name of names) await sandbox.destroy(name).catch(() => undefined);
  for (const d of await disks.list()) await disks.release(d.id);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('a hostile snapshot cannot write outside the sandbox disk', () => {
  const file = (name: string, body = 'x'): Entry => ({ header: { name, type: 'file', mode: 0o644 }, body });
  const cases: [string, () => Entry[], RegExp][] = [
    ['a ../ name', () => [file('node_modules/ok.js'), file(`../../../../..${outside}/dotdot`)], /holds "\.\."/],
    ['an absolute name', () => [file('node_modules/ok.js'), file(`${outside}/absolute`)], /absolute path/],
    [
      'a symlink, then a file through it',
      () => [
        file('node_modules/ok.js'),
        { header: { name: 'escape', type: 'symlink', linkname: outside } },
        file('escape/through-link'),
      ],
      /escape is a symlink: not followed/,
    ],
    [
      'a symlink, then a folder and a file through it',
      () => [
        { header: { name: 'node_modules/up', type: 'symlink', linkname: '../..' } },
        { header: { name: 'node_modules/up/mnt', type: 'directory', mode: 0o755 } },
        file('node_modules/up/mnt/through-relative'),
      ],
      /node_modules\/up is a symlink: not followed/,
    ],
    [
      'a hard link to a file outside',
      () => [file('node_modules/ok.js'), { header: { name: 'hard', type: 'link', linkname: `../../${outside}/x` } }],
      /holds "\.\."/,
    ],
    [
      'a device node',
      () => [
        file('node_modules/ok.js'),
        { header: { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 } },
      ],
      /character-device, which is refused/,
    ],
  ];

  test.each(cases)('%s: refused, nothing outside, the folder as it was', async (_, entries, message) => {
    const folder = disk.workspace;
    fs.writeFileSync(path.join(folder, 'tracked.txt'), 'mine\n');
    const before = listing(folder);
    const source = await tarOfEntries(entries());
    const err = await extractInto({ source: bufferStream(source), root: folder, uid: 1000, gid: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnsafeEntryError);
    expect((err as Error).message).toMatch(message);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readdirSync(path.dirname(folder)).sort()).toEqual(['home', 'lost+found', 'workspace']);
    expect(listing(folder)).toEqual(before);
  });

  test('a symlink already in the folder (made by the sandbox) is not followed', async () => {
    const folder = disk.home;
    fs.symlinkSync(outside, path.join(folder, 'planted'));
    const source = await tarOfEntries([file('planted/into-host')]);
    await expect(extractInto({ source: bufferStream(source), root: folder, uid: 1000, gid: 1000 })).rejects.toThrow(
      /planted is a symlink: not followed/,
    );
    expect(fs.readdirSync(outside)).toEqual([]);
    // A file in its place replaces the link; nothing is written through it.
    fs.writeFileSync(path.join(outside, 'victim'), 'host\n');
    fs.symlinkSync(path.join(outside, 'victim'), path.join(folder, 'planted-file'));
    await extractInto({
      source: bufferStream(await tarOfEntries([file('planted-file', 'sandbox\n')])),
      root: folder,
      uid: 1000,
      gid: 1000,
    });
    expect(fs.readFileSync(path.join(outside, 'victim'), 'utf8')).toBe('host\n');
    expect(fs.lstatSync(path.join(folder, 'planted-file')).isFile()).toBe(true);
    fs.rmSync(path.join(outside, 'victim'));
  });

  test('restoreSnapshot turns a hostile entry into an unusable snapshot and takes out what went in', async () => {
    const { id } = await sandbox.create({ name: uniqueName(), image });
    const folder = await sandbox.hostFolder(id, '/workspace');
    expect(folder).toMatch(/\/workspace$/);
    const entryDir = fs.mkdtempSync(path.join(root, 'entry-'));
    const ws = await tarOfEntries([file('node_modules/ok.js'), file('node_modules/deep/two.js'), file('../escape')]);
    const home = await tarOfEntries([file('.cache/ok')]);
    fs.writeFileSync(path.join(entryDir, 'workspace.tar'), ws);
    fs.writeFileSync(path.join(entryDir, 'home.tar'), home);
    const before = (await sandbox.exec(id, ['bash', '-c', 'cd && find . /workspace | sort'])).stdout;
    const err = await restoreSnapshot({
      sandbox,
      containerId: id,
      dir: entryDir,
      files: [
        { name: 'workspace.tar', target: '/workspace', bytes: ws.length, sha256: sha256(ws) },
        { name: 'home.tar', target: '/home/drydock', bytes: home.length, sha256: sha256(home) },
      ],
      tracked: new Set(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotUnusableError);
    expect((err as Error).message).toMatch(/workspace\.tar: tar entry "\.\.\/escape" holds "\.\."/);
    expect((await sandbox.exec(id, ['bash', '-c', 'cd && find . /workspace | sort'])).stdout).toBe(before);
  }, 60_000);
});

test('a snapshot larger than the sandbox disk: unusable for this sandbox only (the entry stays), and nothing it put in is left', async () => {
  const small = new SandboxDisks({ root, mountRoot: path.join(root, 'mnt'), sizeBytes: MIN_DISK_BYTES });
  const tiny = await small.create();
  try {
    const entryDir = fs.mkdtempSync(path.join(root, 'entry-'));
    const big = randomBytes(8 * 1024 ** 2).toString('base64');
    const entries: Entry[] = [];
    for (let i = 0; i < 10; i++)
      entries.push({ header: { name: `node_modules/big${i}.bin`, type: 'file', mode: 0o644 }, body: big });
    const ws = await tarOfEntries(entries);
    fs.writeFileSync(path.join(entryDir, 'workspace.tar'), ws);
    const home = await tarOfEntries([{ header: { name: '.cache/ok', type: 'file', mode: 0o644 }, body: 'ok' }]);
    fs.writeFileSync(path.join(entryDir, 'home.tar'), home);
    const onDisk = {
      hostFolder: async (_: string, target: string) => (target === '/workspace' ? tiny.workspace : tiny.home),
    };
    const err = await restoreSnapshot({
      sandbox: onDisk as unknown as DockerSandbox,
      containerId: 'c',
      dir: entryDir,
      files: [
        { name: 'workspace.tar', target: '/workspace', bytes: ws.length, sha256: sha256(ws) },
        { name: 'home.tar', target: '/home/drydock', bytes: home.length, sha256: sha256(home) },
      ],
      tracked: new Set(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotUnusableError);
    expect(err).toMatchObject({ keepEntry: true, message: "the sandbox's disk has no room for workspace.tar" });
    expect(listing(tiny.workspace)).toEqual([]);
    expect(listing(tiny.home)).toEqual([]);
  } finally {
    await small.release(tiny.id);
  }
}, 60_000);

test('a snapshot goes into the sandbox on the host: owned by the sandbox user, modes masked, times kept; its derived baseline is what the host reads', async () => {
  // The repository as copyRepository puts it in: tracked files, one of them executable, one a symlink.
  const repo = fs.mkdtempSync(path.join(root, 'repo-'));
  fs.mkdirSync(path.join(repo, 'src'));
  fs.writeFileSync(path.join(repo, 'src', 'index.js'), 'module.exports = 1;\n');
  fs.writeFileSync(path.join(repo, 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  fs.symlinkSync('src/index.js', path.join(repo, 'main.js'));
  fs.writeFileSync(path.join(repo, 'package.json'), '{}\n');
  const tracked = new Set(['src/index.js', 'run.sh', 'main.js', 'package.json']);
  const copied = await readWorkspaceBaseline({
    archive: async () => tarOf(repo),
    maxWorkspaceBytes: 1024 ** 3,
    names: 'relative',
  });
  expect([...copied.keys()].sort()).toEqual([...tracked].sort());

  // Setup's output in a first sandbox: files, an executable with setuid, symlinks, a hard link, a nested .git,
  // a name that is not ASCII, a file in a tracked folder, a big file, and the home folder's cache.
  const first = await sandbox.create({ name: uniqueName(), image });
  await sandbox.putArchive(first.id, tarOf(repo), '/workspace');
  const setup = await sandbox.exec(first.id, [
    'bash',
    '-c',
    [
      'set -e; cd /workspace',
      'mkdir -p node_modules/a/bin node_modules/.bin node_modules/b/.git src/generated',
      'echo hi > node_modules/a/index.js',
      'printf "#!/bin/sh\\necho a\\n" > node_modules/a/bin/a && chmod 4755 node_modules/a/bin/a',
      'ln -s ../a/bin/a node_modules/.bin/a',
      'ln node_modules/a/index.js node_modules/a/same.js',
      'echo ref > node_modules/b/.git/HEAD',
      'echo u > "node_modules/ünïcode.txt"',
      'head -c 3000000 /dev/urandom > node_modules/big.bin',
      'echo gen > src/generated/out.js',
      'touch -d 2001-02-03T04:05:06Z node_modules/a/index.js',
      'mkdir -p ~/.npm/_cacache && echo c > ~/.npm/_cacache/entry',
    ].join('\n'),
  ]);
  expect(setup.stderr).toBe('');
  expect(setup.exitCode).toBe(0);
  const entryDir = fs.mkdtempSync(path.join(root, 'entry-'));
  const files = await takeSnapshot({ sandbox, containerId: first.id, dir: entryDir, tracked, secrets: [] });
  expect(files.find((f) => f.name === 'workspace.tar')?.manifest).toBeDefined();

  // A second sandbox of the same goal: the copy, then the snapshot, on the host.
  const second = await sandbox.create({ name: uniqueName(), image });
  await sandbox.putArchive(second.id, tarOf(repo), '/workspace');
  const restored = await restoreSnapshot({ sandbox, containerId: second.id, dir: entryDir, files, tracked });
  expect(restored.files.map((f) => [f.name, f.via])).toEqual([
    ['workspace.tar', 'disk'],
    ['home.tar', 'disk'],
  ]);
  const look = await sandbox.exec(second.id, [
    'bash',
    '-c',
    'cd /workspace && stat -c "%n %u:%g %a" node_modules/a/bin/a node_modules/a/index.js ~/.npm/_cacache/entry && stat -c %Y node_modules/a/index.js && node_modules/.bin/a && cat src/index.js',
  ]);
  expect(look.stdout).toBe(
    [
      'node_modules/a/bin/a 1000:1000 755',
      'node_modules/a/index.js 1000:1000 644',
      '/home/drydock/.npm/_cacache/entry 1000:1000 644',
      String(Date.UTC(2001, 1, 3, 4, 5, 6) / 1000),
      'a',
      'module.exports = 1;',
      '',
    ].join('\n'),
  );

  // The baseline from the manifest and the copy, and the one the host reads from the restored workspace.
  const derived = deriveBaseline(copied, restored.manifest!, restored.kept);
  const read = await readWorkspaceBaseline({
    archive: () => sandbox.getArchive(second.id, '/workspace'),
    maxWorkspaceBytes: 1024 ** 3,
  });
  expect(typeof derived).not.toBe('string');
  expect(sorted(derived as WorkspaceBaseline)).toEqual(sorted(read));
  expect(read.get('node_modules/a/same.js')).toEqual(read.get('node_modules/a/index.js'));
  expect(read.has(Buffer.from('node_modules/ünïcode.txt').toString('latin1'))).toBe(true);
  expect(read.get('node_modules/a/bin/a')?.mode).toBe('100755');
  expect(read.get('node_modules/.bin/a')?.mode).toBe('120000');
}, 120_000);

test("a warm container (the snapshot first, the goal's copy over it): the derived baseline is what the host reads, or a reason to read it", async () => {
  const repo = fs.mkdtempSync(path.join(root, 'warm-repo-'));
  fs.mkdirSync(path.join(repo, 'src'));
  fs.writeFileSync(path.join(repo, 'src', 'index.js'), 'module.exports = 1;\n');
  fs.writeFileSync(path.join(repo, 'package.json'), '{}\n');
  const tracked = new Set(['src/index.js', 'package.json']);
  // The entry's goal: setup makes dependencies (one hard link), a build output and a note.
  const first = await sandbox.create({ name: uniqueName(), image });
  await sandbox.putArchive(first.id, tarOf(repo), '/workspace');
  const setup = await sandbox.exec(first.id, [
    'bash',
    '-c',
    'set -e; cd /workspace; mkdir -p node_modules/a build; echo hi > node_modules/a/index.js; ln node_modules/a/index.js node_modules/a/same.js; echo gen > build/out.js; echo keep > notes.txt',
  ]);
  expect(setup.exitCode).toBe(0);
  const entryDir = fs.mkdtempSync(path.join(root, 'warm-entry-'));
  const files = await takeSnapshot({ sandbox, containerId: first.id, dir: entryDir, tracked, secrets: [] });

  // A later goal's commit: a changed file, build/out.js now tracked (its copy replaces setup's), a new file.
  const goalRepo = fs.mkdtempSync(path.join(root, 'warm-goal-'));
  fs.cpSync(repo, goalRepo, { recursive: true });
  fs.writeFileSync(path.join(goalRepo, 'src', 'index.js'), 'module.exports = 2;\n');
  fs.mkdirSync(path.join(goalRepo, 'build'));
  fs.writeFileSync(path.join(goalRepo, 'build', 'out.js'), 'tracked\n');
  fs.writeFileSync(path.join(goalRepo, 'added.txt'), 'new\n');
  const goalTracked = new Set(['src/index.js', 'package.json', 'build/out.js', 'added.txt']);
  const copied = await readWorkspaceBaseline({
    archive: async () => tarOf(goalRepo),
    maxWorkspaceBytes: 1024 ** 3,
    names: 'relative',
  });

  // The warm container: the pool restores the entry (its own commit's paths left out), then the goal copies.
  const warm = await sandbox.create({ name: uniqueName(), image });
  await restoreSnapshot({ sandbox, containerId: warm.id, dir: entryDir, files, tracked });
  await sandbox.putArchive(warm.id, tarOf(goalRepo), '/workspace');
  const manifest = (await readSnapshotManifest(entryDir, files))!;
  const kept = (p: string) => !coveredBy(goalTracked, p);
  expect(warmOrderProblem(copied, manifest, kept)).toBeUndefined();
  const derived = deriveBaseline(copied, manifest, kept);
  const read = await readWorkspaceBaseline({
    archive: () => sandbox.getArchive(warm.id, '/workspace'),
    maxWorkspaceBytes: 1024 ** 3,
  });
  expect(typeof derived).not.toBe('string');
  expect(sorted(derived as WorkspaceBaseline)).toEqual(sorted(read));
  expect(read.get('build/out.js')).toEqual(copied.get('build/out.js'));

  // Where the order matters, no derived baseline: the goal's commit replaces a hard link's source, or has a
  // folder where the snapshot has a file.
  const withSource = new Set([...goalTracked, 'node_modules/a/index.js']);
  expect(
    warmOrderProblem(
      new Map([...copied, ['node_modules/a/index.js', copied.get('package.json')!]]),
      manifest,
      (p) => !coveredBy(withSource, p),
    ),
  ).toMatch(/hard link node_modules\/a\/same\.js shares a file the goal's commit replaced/);
  expect(warmOrderProblem(new Map([...copied, ['notes.txt/x', copied.get('package.json')!]]), manifest, kept)).toMatch(
    /the snapshot's notes\.txt is a folder of the goal's commit/,
  );
}, 120_000);

function sorted(b: WorkspaceBaseline): [string, unknown][] {
  return [...b].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0));
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function bufferStream(b: Buffer): NodeJS.ReadableStream {
  return Readable.from([b]);
}
