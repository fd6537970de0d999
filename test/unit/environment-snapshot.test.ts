/**
 * Taking and putting back a post-setup snapshot (environment-snapshot.ts),
 * against a stand-in engine that serves and receives tars: the workspace's
 * snapshot holds what setup made (not .git, not the commit's files); a setup
 * secret left anywhere abandons it; putting it back never overwrites a path
 * the new goal's base commit tracks; a damaged tar is refused before anything
 * goes in.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as tar from 'tar-stream';
import {
  restoreSnapshot,
  SnapshotUnusableError,
  takeSnapshot,
} from '../../activities/environment/environment-snapshot';
import type { Sandbox } from '../../activities/sandbox/sandbox';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'env-snap-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'tok_0123456789abcdef';

async function tarOf(top: string, files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: `${top}/`, type: 'directory', mode: 0o755 });
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith('/')) pack.entry({ name: `${top}/${name}`, type: 'directory', mode: 0o755 });
    else pack.entry({ name: `${top}/${name}`, mode: 0o644 }, text);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function namesIn(stream: NodeJS.ReadableStream | Buffer): Promise<Record<string, string>> {
  const extract = tar.extract();
  const out: Record<string, string> = {};
  const feeding = (async () => {
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(stream)) chunks.push(stream);
    else for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    extract.end(Buffer.concat(chunks));
  })();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    out[entry.header.name.replace(/\/$/, '')] = Buffer.concat(chunks).toString();
  }
  await feeding;
  return out;
}

/** A stand-in engine: getArchive serves the given tars; putArchive records what it received. */
function engine(archives: Record<string, Buffer>) {
  const put: { target: string; files: Record<string, string> }[] = [];
  const sandbox = {
    getArchive: async (_id: string, p: string) => {
      const { Readable } = await import('stream');
      return Readable.from([archives[p]!]);
    },
    putArchive: async (_id: string, t: NodeJS.ReadableStream | Buffer, target: string) => {
      put.push({ target, files: await namesIn(t) });
    },
  } as unknown as Sandbox;
  return { sandbox, put };
}

/** What went into one folder. */
function at(put: { target: string; files: Record<string, string> }[], target: string): Record<string, string> {
  return put.find((p) => p.target === target)?.files ?? {};
}

async function snapshot(workspace: Record<string, string>, home: Record<string, string>, secrets: string[] = []) {
  const { sandbox } = engine({
    '/workspace': await tarOf('workspace', workspace),
    '/home/drydock': await tarOf('drydock', home),
  });
  return takeSnapshot({
    sandbox,
    containerId: 'c',
    dir,
    tracked: new Set(['package.json', 'src/a.js']),
    secrets,
  });
}

test("the workspace's snapshot holds what setup made, not .git and not the commit's files; home is whole", async () => {
  const files = await snapshot(
    {
      '.git/': '',
      '.git/HEAD': 'ref',
      'package.json': '{}',
      'src/': '',
      'src/a.js': '1',
      'node_modules/': '',
      'node_modules/dep/': '',
      'node_modules/dep/index.js': 'dep',
    },
    { '.cache/': '', '.cache/blob': 'cached' },
  );
  expect(files.map((f) => f.name)).toEqual(['workspace.tar', 'home.tar']);
  expect(Object.keys(await namesIn(readFileSync(path.join(dir, 'workspace.tar')))).sort()).toEqual([
    'node_modules',
    'node_modules/dep',
    'node_modules/dep/index.js',
    'src',
  ]);
  expect(await namesIn(readFileSync(path.join(dir, 'home.tar')))).toEqual({ '.cache': '', '.cache/blob': 'cached' });
});

test('a setup secret left in any file, raw or encoded, abandons the snapshot', async () => {
  for (const leaked of [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')]) {
    await expect(
      snapshot({ 'node_modules/x': 'ok' }, { '.npmrc': `//r/:_authToken=${leaked}\n` }, [SECRET]),
    ).rejects.toThrow('a setup secret is still in /home/drydock/.npmrc');
  }
});

test("putting it back leaves the new base commit's paths alone, and streams the tar as it is when none is in it", async () => {
  const files = await snapshot(
    {
      'node_modules/': '',
      'node_modules/dep/': '',
      'node_modules/dep/index.js': 'dep',
      'gen/': '',
      'gen/out.js': 'generated',
    },
    { '.cache/blob': 'cached' },
  );
  // The new commit tracks gen/out.js (it was generated before): the commit's file wins.
  const conflicting = engine({});
  await restoreSnapshot({
    sandbox: conflicting.sandbox,
    containerId: 'c',
    dir,
    files,
    tracked: new Set(['package.json', 'gen/out.js']),
  });
  expect(conflicting.put.map((p) => p.target).sort()).toEqual(['/home/drydock', '/workspace']);
  expect(Object.keys(at(conflicting.put, '/workspace')).sort()).toEqual([
    'gen',
    'node_modules',
    'node_modules/dep',
    'node_modules/dep/index.js',
  ]);
  // A tracked file where the snapshot has a folder: nothing below it goes in.
  const folder = engine({});
  await restoreSnapshot({ sandbox: folder.sandbox, containerId: 'c', dir, files, tracked: new Set(['node_modules']) });
  expect(Object.keys(at(folder.put, '/workspace')).sort()).toEqual(['gen', 'gen/out.js']);
  // No conflict: everything goes in.
  const plain = engine({});
  await restoreSnapshot({ sandbox: plain.sandbox, containerId: 'c', dir, files, tracked: new Set(['package.json']) });
  expect(at(plain.put, '/workspace')['gen/out.js']).toBe('generated');
  expect(at(plain.put, '/home/drydock')['.cache/blob']).toBe('cached');
});

test('a truncated or altered tar is refused before anything goes into the sandbox', async () => {
  const files = await snapshot({ 'node_modules/x': 'ok' }, { '.cache/blob': 'cached' });
  const home = path.join(dir, 'home.tar');
  const bytes = readFileSync(home);
  writeFileSync(home, bytes.subarray(0, 700));
  const truncated = engine({});
  await expect(
    restoreSnapshot({ sandbox: truncated.sandbox, containerId: 'c', dir, files, tracked: new Set() }),
  ).rejects.toThrow(SnapshotUnusableError);
  expect(truncated.put).toEqual([]);
  const altered = Buffer.from(bytes);
  altered[600] = altered[600]! ^ 0xff;
  writeFileSync(home, altered);
  await expect(
    restoreSnapshot({ sandbox: truncated.sandbox, containerId: 'c', dir, files, tracked: new Set() }),
  ).rejects.toThrow('home.tar does not match its checksum');
  expect(truncated.put).toEqual([]);
});
