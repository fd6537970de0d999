/**
 * Taking a post-setup snapshot out of a sandbox and putting it into another,
 * on the host, from the engine's tars (no process in the sandbox takes part).
 * The workspace's snapshot leaves out `.git` and every path the base commit
 * tracks: it holds what setup made beside the repository's files. Putting it
 * back leaves out every path the new goal's base commit tracks (and anything
 * below one), so the goal's own files win. A setup secret found in a snapshot's
 * bytes (raw or encoded) abandons it.
 */
import { createHash } from 'crypto';
import { createReadStream, createWriteStream } from 'fs';
import { readFile, stat, writeFile } from 'fs/promises';
import { PassThrough, type Readable } from 'stream';
import { finished, pipeline } from 'stream/promises';
import * as tar from 'tar-stream';
import type { Sandbox } from '../sandbox/sandbox';
import { secretEncodings } from '../security/secret-encodings';
import type { SnapshotFile } from './environment-cache';
import { SANDBOX_GID, SANDBOX_UID } from '../sandbox/container-options';
import { extractInto, UnsafeEntryError } from './snapshot-extract';
import { decodeManifest, encodeManifest, ManifestBuilder, type SnapshotManifest } from './snapshot-manifest';

/** The folders a snapshot holds, and the file each goes to. */
export const SNAPSHOT_SOURCES: readonly { name: string; target: string; workspace: boolean }[] = [
  { name: 'workspace.tar', target: '/workspace', workspace: true },
  { name: 'home.tar', target: '/home/drydock', workspace: false },
];

/** Thrown when a snapshot cannot be used: damaged, truncated, or holding a setup secret. */
export class SnapshotUnusableError extends Error {
  /** True when the entry is sound and only this sandbox could not take it (its disk is full): the entry stays. */
  readonly keepEntry: boolean;
  constructor(message: string, o: { keepEntry?: boolean } = {}) {
    super(message);
    this.name = 'SnapshotUnusableError';
    this.keepEntry = o.keepEntry ?? false;
  }
}

/** A tar entry's path below the archived folder ('' for the folder itself), or undefined when it leaves it. */
export function belowTop(name: string): string | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return undefined;
  return parts.slice(1).join('/');
}

/** Whether `rel` or a folder above it is in `paths`. */
export function coveredBy(paths: ReadonlySet<string>, rel: string): boolean {
  if (paths.has(rel)) return true;
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) if (paths.has(rel.slice(0, i))) return true;
  return false;
}

/** Latin1 form of a decoded tar name, as the tracked paths are kept. */
function rawOf(rel: string): string {
  return Buffer.from(rel, 'utf8').toString('latin1');
}

/** A snapshot entry's name, or undefined when it would leave its folder. */
function relativeName(name: string): string | undefined {
  return belowTop(`_/${name}`);
}

/** Copies a tar, keeping the entries `keep` accepts; `strip`: renamed to their path below the top folder (`''` entries dropped). */
function filterTar(
  source: NodeJS.ReadableStream,
  strip: boolean,
  keep: (rel: string, header: tar.Header) => boolean,
  tap?: (rel: string, chunk: Buffer) => void,
  kept?: (rel: string, header: tar.Header, linkname?: string) => void,
  ended?: (rel: string) => void,
): { output: Readable; done: Promise<void> } {
  const extract = tar.extract();
  const pack = tar.pack();
  const done = (async () => {
    try {
      for await (const entry of extract) {
        const header = entry.header;
        const nameOf = strip ? belowTop : relativeName;
        const rel = nameOf(header.name);
        if (rel === undefined || rel === '' || !keep(rel, header)) {
          entry.resume();
          continue;
        }
        const linkname =
          header.type === 'link' && header.linkname ? nameOf(header.linkname) : (header.linkname ?? undefined);
        if (header.type === 'link' && !linkname) {
          entry.resume();
          continue;
        }
        kept?.(rel, header, header.type === 'link' ? linkname : undefined);
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry(
            { ...header, name: rel, ...(linkname !== undefined ? { linkname } : {}), pax: undefined },
            (err) => (err ? reject(err) : resolve()),
          );
          void (async () => {
            try {
              for await (const chunk of entry as AsyncIterable<Buffer>) {
                tap?.(rel, chunk);
                if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()));
              }
              (sink as unknown as { end(): void }).end();
              ended?.(rel);
            } catch (err) {
              sink.destroy(err as Error);
              reject(err as Error);
            }
          })();
        });
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
      throw err;
    }
  })();
  void pipeline(source, extract as unknown as NodeJS.WritableStream).catch((err: unknown) =>
    extract.destroy(err as Error),
  );
  done.catch(() => undefined);
  return { output: pack as unknown as Readable, done };
}

/** Finds a secret's encodings in a stream of chunks (across chunk boundaries). */
class SecretScanner {
  private readonly needles: Buffer[];
  private readonly overlap: number;
  private tail = Buffer.alloc(0);
  private lastRel = '';
  found?: string;

  constructor(secrets: readonly string[]) {
    this.needles = [...new Set(secrets.flatMap((s) => secretEncodings(s)))].map((e) => Buffer.from(e));
    this.overlap = Math.max(0, ...this.needles.map((n) => n.length)) - 1;
  }

  feed(rel: string, chunk: Buffer): void {
    if (this.found !== undefined || this.needles.length === 0) return;
    if (rel !== this.lastRel) this.tail = Buffer.alloc(0);
    this.lastRel = rel;
    const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    if (this.needles.some((n) => window.includes(n))) this.found = rel;
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - this.overlap)));
  }
}

/** What takeSnapshot needs. */
export interface TakeSnapshotOptions {
  sandbox: Sandbox;
  containerId: string;
  /** The entry's temporary folder. */
  dir: string;
  /** Paths the base commit tracks (latin1). */
  tracked: ReadonlySet<string>;
  /** Values of the setup secrets: a snapshot holding one is abandoned. */
  secrets: readonly string[];
}

/** Writes the sandbox's workspace (without the commit's files and .git) and home folder as tars into `dir`. */
export async function takeSnapshot(o: TakeSnapshotOptions): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  for (const src of SNAPSHOT_SOURCES) {
    const scanner = new SecretScanner(o.secrets);
    const names: string[] = [];
    // The workspace's baseline entries, computed as the bytes pass (snapshot-manifest.ts).
    const builder = src.workspace ? new ManifestBuilder() : undefined;
    const archive = await o.sandbox.getArchive(o.containerId, src.target);
    const { output, done } = filterTar(
      archive,
      true,
      (rel) => !src.workspace || (!(rel === '.git' || rel.startsWith('.git/')) && !o.tracked.has(rawOf(rel))),
      (rel, chunk) => {
        scanner.feed(rel, chunk);
        builder?.chunk(chunk);
      },
      (rel, header, linkname) => {
        names.push(rawOf(rel));
        builder?.start(rawOf(rel), header, linkname === undefined ? undefined : rawOf(linkname));
      },
      () => builder?.end(),
    );
    const hash = createHash('sha256');
    let bytes = 0;
    const counted = new PassThrough();
    counted.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    await Promise.all([pipeline(output, counted, createWriteStream(`${o.dir}/${src.name}`)), done]);
    if (scanner.found !== undefined)
      throw new SnapshotUnusableError(`a setup secret is still in ${src.target}/${scanner.found}`);
    const list = Buffer.from(names.join('\0'), 'latin1');
    const pathsName = `${src.name}.paths`;
    await writeFile(`${o.dir}/${pathsName}`, list);
    const manifest = builder ? encodeManifest(builder.manifest) : undefined;
    const manifestName = `${src.name}.manifest.json.gz`;
    if (manifest) await writeFile(`${o.dir}/${manifestName}`, manifest);
    files.push({
      name: src.name,
      target: src.target,
      bytes,
      sha256: hash.digest('hex'),
      paths: { name: pathsName, bytes: list.length, sha256: sha256Of(list) },
      ...(manifest ? { manifest: { name: manifestName, bytes: manifest.length, sha256: sha256Of(manifest) } } : {}),
    });
  }
  return files;
}

/** Checks a snapshot file's size and SHA-256 against its entry; a damaged or truncated file is SnapshotUnusableError. */
export async function verifySnapshotFile(dir: string, file: SnapshotFile): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(`${dir}/${file.name}`) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  } catch (err) {
    throw new SnapshotUnusableError(`${file.name} cannot be read: ${(err as Error).message}`);
  }
  if (bytes !== file.bytes) throw new SnapshotUnusableError(`${file.name} has ${bytes} bytes, ${file.bytes} expected`);
  if (hash.digest('hex') !== file.sha256) throw new SnapshotUnusableError(`${file.name} does not match its checksum`);
}

/** Reads one of an entry's small side files (paths list, manifest) and checks it against its record. */
async function readSideFile(dir: string, side: { name: string; bytes: number; sha256: string }): Promise<Buffer> {
  const data = await readFile(`${dir}/${side.name}`).catch(() => undefined);
  if (!data || data.length !== side.bytes || sha256Of(data) !== side.sha256)
    throw new SnapshotUnusableError(`${side.name} does not match its checksum`);
  return data;
}

/** Whether the snapshot's recorded paths leave every tracked path (and what lies below one) alone; false when not recorded. */
async function overwritesNone(dir: string, file: SnapshotFile, tracked: ReadonlySet<string>): Promise<boolean> {
  if (!file.paths) return false;
  const raw = (await readSideFile(dir, file.paths)).toString('latin1');
  return raw === '' || !raw.split('\0').some((p) => coveredBy(tracked, p));
}

/** What restoreSnapshot needs. */
export interface RestoreSnapshotOptions {
  sandbox: Sandbox;
  containerId: string;
  /** The entry's folder. */
  dir: string;
  files: SnapshotFile[];
  /** Paths the goal's base commit tracks (latin1): never overwritten. */
  tracked: ReadonlySet<string>;
}

/** How one snapshot file went in. */
export interface RestoredFile {
  name: string;
  /** `disk`: extracted on the host into the sandbox's disk (snapshot-extract.ts); `engine`: through the engine's archive API. */
  via: 'disk' | 'engine';
  ms: number;
}

/** What restoreSnapshot put in. */
export interface RestoredSnapshot {
  files: RestoredFile[];
  /** The workspace entries the snapshot put in, from its verified manifest (absent for an entry made before manifests). */
  manifest?: SnapshotManifest;
  /** Whether a workspace path of the snapshot was put in (false: one of the goal's own paths covers it). */
  kept: (p: string) => boolean;
}

/**
 * Puts an entry's files into the sandbox (the workspace's without the goal's own
 * paths). Where the host mounts the sandbox's disk they are extracted there
 * (snapshot-extract.ts) while their checksums are computed, and taken out again
 * when a checksum does not match; otherwise every file is verified first and
 * goes through the engine's archive API. Nothing is left half in: an unusable
 * snapshot (SnapshotUnusableError) leaves the sandbox as it was, but for the
 * home folder's files it replaced.
 */
export async function restoreSnapshot(o: RestoreSnapshotOptions): Promise<RestoredSnapshot> {
  for (const file of o.files)
    if (!SNAPSHOT_SOURCES.some((s) => s.name === file.name && s.target === file.target))
      throw new SnapshotUnusableError(`unknown snapshot file ${JSON.stringify(file.name)}`);
  // Decided before anything goes in, so that an unusable paths list or manifest leaves the sandbox untouched.
  const direct = new Map<string, boolean>();
  for (const file of o.files)
    direct.set(file.name, file.target !== '/workspace' || (await overwritesNone(o.dir, file, o.tracked)));
  const workspace = o.files.find((f) => f.target === '/workspace');
  const manifest = workspace?.manifest ? await readManifest(o.dir, workspace.manifest) : undefined;
  const kept = (p: string) => direct.get(workspace?.name ?? '') === true || !coveredBy(o.tracked, p);
  const folders = new Map<string, string | undefined>();
  for (const file of o.files) folders.set(file.name, await o.sandbox.hostFolder?.(o.containerId, file.target));
  const viaDisk = o.files.every((f) => folders.get(f.name) !== undefined);
  if (!viaDisk) await Promise.all(o.files.map((file) => verifySnapshotFile(o.dir, file)));
  const undo: (() => void)[] = [];
  // The workspace and the home folder go in side by side; when one fails, the other's is taken out once it is in.
  const settled = await Promise.allSettled(
    o.files.map(async (file): Promise<RestoredFile> => {
      const started = Date.now();
      const skip = (rel: string) => file.target === '/workspace' && !kept(rawOf(rel));
      const folder = folders.get(file.name);
      if (viaDisk && folder) {
        await extractVerified({ dir: o.dir, file, folder, skip: direct.get(file.name) ? undefined : skip, undo });
        return { name: file.name, via: 'disk', ms: Date.now() - started };
      }
      const archive = createReadStream(`${o.dir}/${file.name}`);
      // The common case: no path of the snapshot is one of the goal's own, and the tar goes in as it is.
      if (direct.get(file.name)) await o.sandbox.putArchive(o.containerId, archive, file.target);
      else {
        // The names were stripped of their top folder when the snapshot was taken.
        const { output, done } = filterTar(archive, false, (rel) => !skip(rel));
        await Promise.all([o.sandbox.putArchive(o.containerId, output, file.target), done]);
      }
      return { name: file.name, via: 'engine', ms: Date.now() - started };
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const u of undo) u();
    throw failed.reason;
  }
  const files = settled.map((r) => (r as PromiseFulfilledResult<RestoredFile>).value);
  return { files, ...(manifest ? { manifest } : {}), kept };
}

/** The verified manifest of an entry's workspace tar (undefined: an entry made before manifests). */
export async function readSnapshotManifest(dir: string, files: SnapshotFile[]): Promise<SnapshotManifest | undefined> {
  const workspace = files.find((f) => f.target === '/workspace');
  return workspace?.manifest ? readManifest(dir, workspace.manifest) : undefined;
}

/** Reads and checks the workspace's manifest. */
async function readManifest(dir: string, side: NonNullable<SnapshotFile['manifest']>): Promise<SnapshotManifest> {
  const data = await readSideFile(dir, side);
  try {
    return decodeManifest(data);
  } catch (err) {
    throw new SnapshotUnusableError(`${side.name}: ${(err as Error).message}`);
  }
}

/** Extracts one snapshot file into a host folder while checking its size and checksum; on any failure what went in is taken out. */
async function extractVerified(o: {
  dir: string;
  file: SnapshotFile;
  folder: string;
  skip?: (rel: string) => boolean;
  /** Where the undo of a finished extraction is added (a later file's failure takes this one out too). */
  undo: (() => void)[];
}): Promise<void> {
  // A truncated or grown file is known before anything goes in; other damage when its checksum is known.
  const size = await stat(`${o.dir}/${o.file.name}`).then(
    (st) => st.size,
    (err: Error) => {
      throw new SnapshotUnusableError(`${o.file.name} cannot be read: ${err.message}`);
    },
  );
  if (size !== o.file.bytes)
    throw new SnapshotUnusableError(`${o.file.name} has ${size} bytes, ${o.file.bytes} expected`);
  const hash = createHash('sha256');
  let bytes = 0;
  const source = createReadStream(`${o.dir}/${o.file.name}`, { highWaterMark: 1024 * 1024 });
  source.on('data', (c: string | Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  let extracted: Awaited<ReturnType<typeof extractInto>>;
  try {
    extracted = await extractInto({
      source,
      root: o.folder,
      uid: SANDBOX_UID,
      gid: SANDBOX_GID,
      ...(o.skip ? { skip: o.skip } : {}),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT')
      throw new SnapshotUnusableError(`the sandbox's disk has no room for ${o.file.name}`, { keepEntry: true });
    if (e.code === 'ENOENT' && e.path === `${o.dir}/${o.file.name}`)
      throw new SnapshotUnusableError(`${o.file.name} cannot be read: ${e.message}`);
    if (err instanceof UnsafeEntryError || e.code === undefined)
      throw new SnapshotUnusableError(`${o.file.name}: ${e.message}`);
    throw err;
  }
  o.undo.push(extracted.undo);
  // The checksum covers the whole file, past the tar's end-of-archive blocks.
  if (!source.readableEnded) await finished(source);
  if (bytes !== o.file.bytes || hash.digest('hex') !== o.file.sha256)
    throw new SnapshotUnusableError(
      bytes !== o.file.bytes
        ? `${o.file.name} has ${bytes} bytes, ${o.file.bytes} expected`
        : `${o.file.name} does not match its checksum`,
    );
}

function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
