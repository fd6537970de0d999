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
import { readFile, writeFile } from 'fs/promises';
import { PassThrough, type Readable } from 'stream';
import { pipeline } from 'stream/promises';
import * as tar from 'tar-stream';
import type { Sandbox } from '../sandbox/sandbox';
import { secretEncodings } from '../security/secret-encodings';
import type { SnapshotFile } from './environment-cache';

/** The folders a snapshot holds, and the file each goes to. */
export const SNAPSHOT_SOURCES: readonly { name: string; target: string; workspace: boolean }[] = [
  { name: 'workspace.tar', target: '/workspace', workspace: true },
  { name: 'home.tar', target: '/home/drydock', workspace: false },
];

/** Thrown when a snapshot cannot be used: damaged, truncated, or holding a setup secret. */
export class SnapshotUnusableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotUnusableError';
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
  kept?: (rel: string) => void,
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
        kept?.(rel);
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
    const archive = await o.sandbox.getArchive(o.containerId, src.target);
    const { output, done } = filterTar(
      archive,
      true,
      (rel) => !src.workspace || (!(rel === '.git' || rel.startsWith('.git/')) && !o.tracked.has(rawOf(rel))),
      (rel, chunk) => scanner.feed(rel, chunk),
      (rel) => names.push(rawOf(rel)),
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
    files.push({
      name: src.name,
      target: src.target,
      bytes,
      sha256: hash.digest('hex'),
      paths: { name: pathsName, bytes: list.length, sha256: createHash('sha256').update(list).digest('hex') },
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

/** Whether the snapshot's recorded paths leave every tracked path (and what lies below one) alone; false when not recorded. */
async function overwritesNone(dir: string, file: SnapshotFile, tracked: ReadonlySet<string>): Promise<boolean> {
  if (!file.paths) return false;
  const list = await readFile(`${dir}/${file.paths.name}`).catch(() => undefined);
  if (
    !list ||
    list.length !== file.paths.bytes ||
    createHash('sha256').update(list).digest('hex') !== file.paths.sha256
  )
    throw new SnapshotUnusableError(`${file.paths.name} does not match its checksum`);
  const raw = list.toString('latin1');
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

/** Verifies every file of the snapshot, then puts them into the sandbox (the workspace's without the goal's own paths). */
export async function restoreSnapshot(o: RestoreSnapshotOptions): Promise<void> {
  for (const file of o.files)
    if (!SNAPSHOT_SOURCES.some((s) => s.name === file.name && s.target === file.target))
      throw new SnapshotUnusableError(`unknown snapshot file ${JSON.stringify(file.name)}`);
  await Promise.all(o.files.map((file) => verifySnapshotFile(o.dir, file)));
  // Decided before anything goes in, so that an unusable paths list leaves the sandbox untouched.
  const direct = new Map<string, boolean>();
  for (const file of o.files)
    direct.set(file.name, file.target !== '/workspace' || (await overwritesNone(o.dir, file, o.tracked)));
  // The workspace and the home folder go in side by side (the engine extracts each in its own stream).
  await Promise.all(
    o.files.map(async (file) => {
      const workspace = file.target === '/workspace';
      const archive = createReadStream(`${o.dir}/${file.name}`);
      // The common case: no path of the snapshot is one of the goal's own, and the tar goes in as it is.
      if (direct.get(file.name)) return o.sandbox.putArchive(o.containerId, archive, file.target);
      // The names were stripped of their top folder when the snapshot was taken.
      const { output, done } = filterTar(archive, false, (rel) => !workspace || !coveredBy(o.tracked, rawOf(rel)));
      await Promise.all([o.sandbox.putArchive(o.containerId, output, file.target), done]);
    }),
  );
}
