/**
 * Extracting a snapshot's tar on the host, straight into a folder of a
 * sandbox's disk (the host mounts it, sandbox-disk.ts), without the engine's
 * archive API. The extractor cannot be led outside the folder: a name that is
 * absolute or holds `..` stops it, every folder on the way to an entry is
 * checked with lstat to be a real folder (a symlink or file there stops it;
 * a symlink is never followed, one already in the folder included), a file is
 * created afresh (O_EXCL | O_NOFOLLOW, after unlinking what was there, so that
 * nothing is written through a link), a hard link must name a regular file
 * already extracted, and device nodes, FIFOs and other kinds stop it.
 * Everything is owned by the sandbox user and modes keep only their
 * permission bits (no setuid, setgid or sticky). On a failure what it created
 * is removed again, so that the folder is as it was.
 *
 * Synchronous file calls, one entry at a time between reads of the stream:
 * a few microseconds each, where the thread pool's round trips would cost
 * tens (measured: 25,000 files in about the time GNU tar takes).
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  chmodSync,
  chownSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { Worker } from 'worker_threads';
import * as tar from 'tar-stream';

/** Thrown when a tar entry would leave the folder or is of a kind the extractor refuses. */
export class UnsafeEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeEntryError';
  }
}

/** What extractInto needs. */
export interface ExtractIntoOptions {
  /** The tar (names relative to the folder, as snapshots keep them). */
  source: NodeJS.ReadableStream;
  /** The host folder to extract into; it must exist and be a real folder. */
  root: string;
  /** Owner of everything extracted. */
  uid: number;
  gid: number;
  /** Entries to pass over (by their relative path); none when absent. */
  skip?: (rel: string) => boolean;
  /** Threads that write the files (WRITER_THREADS when absent; 0: all on this thread). */
  threads?: number;
}

/** What extractInto put in. */
export interface ExtractSummary {
  entries: number;
  bytes: number;
  /** Removes what the extraction created (a later step found the snapshot unusable). */
  undo: () => void;
}

/** The path of a tar entry below the folder, or an UnsafeEntryError: never absolute, never `..`. */
export function safeRelative(name: string): string {
  if (name.startsWith('/')) throw new UnsafeEntryError(`tar entry ${JSON.stringify(name)} is an absolute path`);
  if (name.includes('\0')) throw new UnsafeEntryError(`tar entry ${JSON.stringify(name)} holds a NUL`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new UnsafeEntryError(`tar entry ${JSON.stringify(name)} holds ".."`);
  return parts.join('/');
}

/** Extracts a tar into `root` (see the file's comment); on any failure removes what it created and rethrows. */
export async function extractInto(o: ExtractIntoOptions): Promise<ExtractSummary> {
  const top = lstatSync(o.root);
  if (!top.isDirectory()) throw new UnsafeEntryError(`${o.root} is not a folder`);
  const writers = Array.from({ length: o.threads ?? WRITER_THREADS }, () => new FileWriter(o.uid, o.gid));
  const x = new Extraction(o.root, o.uid, o.gid, writers);
  const extract = tar.extract();
  const feeding = pipeline(o.source, extract as unknown as NodeJS.WritableStream);
  feeding.catch(() => undefined);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const rel = safeRelative(header.name);
      if (rel === '' || o.skip?.(rel)) {
        entry.resume();
        continue;
      }
      await x.put(rel, header, entry as AsyncIterable<Buffer>);
    }
    await feeding;
    await x.flush();
    x.finishFolders();
  } catch (err) {
    extract.destroy();
    await x.flush().catch(() => undefined);
    x.undo();
    throw err;
  } finally {
    for (const w of writers) void w.close();
  }
  return { entries: x.entries, bytes: x.bytes, undo: () => x.undo() };
}

/** One extraction's state: the folders known to be real, and what it created (to undo). */
class Extraction {
  entries = 0;
  bytes = 0;
  /** Folders (relative) checked or made: real folders, not symlinks. */
  private readonly folders = new Set<string>(['']);
  /** Paths (absolute) this extraction created, in order. */
  private readonly created: { abs: string; folder: boolean }[] = [];
  /** Folders whose mode and times are set at the end (a read-only folder would stop its own entries). */
  private readonly folderStats: { abs: string; mode: number; mtime?: Date }[] = [];

  /** Relative paths handed to a writer thread since the last flush. */
  private pending = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly uid: number,
    private readonly gid: number,
    private readonly writers: FileWriter[],
  ) {}

  /** Waits until every writer thread has written what it was given; throws what one failed with. */
  async flush(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.flush()));
    this.pending.clear();
  }

  async put(rel: string, header: tar.Header, body: AsyncIterable<Buffer>): Promise<void> {
    this.entries++;
    const abs = path.join(this.root, rel);
    // An entry at or below a path a writer thread still has waits for it (a name twice in the tar, a link's source).
    if (this.pending.size > 0 && (this.pending.has(rel) || this.pendingAbove(rel) || this.linkPending(header)))
      await this.flush();
    this.ensureParent(rel);
    const mode = (header.mode ?? 0o644) & 0o777;
    switch (header.type) {
      case 'directory': {
        const st = lstatOrUndefined(abs);
        if (st && !st.isDirectory()) this.unlink(abs);
        if (!st || !st.isDirectory()) this.mkdir(abs, 0o700);
        this.folders.add(rel);
        this.folderStats.push({ abs, mode, mtime: header.mtime });
        return drain(body);
      }
      case 'file':
      case 'contiguous-file': {
        const size = header.size ?? 0;
        if (this.writers.length === 0 || size > MAX_THREADED_FILE_BYTES)
          return this.writeFile(abs, mode, header.mtime, body);
        // Small files go to a writer thread (by path, so the same path always goes to the same one).
        const data = new Uint8Array(size);
        let at = 0;
        for await (const chunk of body) {
          data.set(chunk.subarray(0, size - at), at);
          at += chunk.length;
        }
        if (at !== size) throw new UnsafeEntryError(`${rel} is shorter than its header says`);
        this.bytes += size;
        this.created.push({ abs, folder: false });
        this.pending.add(rel);
        const writer = this.writers[hashOf(rel) % this.writers.length]!;
        writer.write({ abs, rel, data, mode, mtime: header.mtime ? header.mtime.getTime() / 1000 : undefined });
        return;
      }
      case 'symlink': {
        const target = header.linkname ?? '';
        if (!target || target.includes('\0')) throw new UnsafeEntryError(`symlink ${rel} has no usable target`);
        this.replace(abs);
        symlinkSync(target, abs);
        this.created.push({ abs, folder: false });
        lchownSync(abs, this.uid, this.gid);
        if (header.mtime) lutimesSync(abs, header.mtime, header.mtime);
        return drain(body);
      }
      case 'link': {
        const source = safeRelative(header.linkname ?? '');
        if (source === '') throw new UnsafeEntryError(`hard link ${rel} names the folder itself`);
        this.ensureParent(source);
        const st = lstatOrUndefined(path.join(this.root, source));
        if (!st?.isFile())
          throw new UnsafeEntryError(`hard link ${rel} names ${source}, which is not a file extracted before it`);
        this.replace(abs);
        linkSync(path.join(this.root, source), abs);
        this.created.push({ abs, folder: false });
        return drain(body);
      }
      default:
        throw new UnsafeEntryError(`tar entry ${rel} is a ${header.type ?? 'entry of no type'}, which is refused`);
    }
  }

  private pendingAbove(rel: string): boolean {
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1))
      if (this.pending.has(rel.slice(0, i))) return true;
    return false;
  }

  private linkPending(header: tar.Header): boolean {
    return header.type === 'link' && this.pending.has(safeRelative(header.linkname ?? ''));
  }

  /** Sets the folders' modes and times, deepest first. */
  finishFolders(): void {
    for (const f of [...this.folderStats].reverse()) {
      chmodSync(f.abs, f.mode);
      if (f.mtime) utimesSync(f.abs, f.mtime, f.mtime);
    }
  }

  /** Removes what this extraction created, newest first (best-effort). */
  undo(): void {
    for (const c of [...this.created].reverse()) {
      try {
        if (c.folder) rmdirSync(c.abs);
        else unlinkSync(c.abs);
      } catch {
        // A folder that still holds something another entry made, or a path already gone.
      }
    }
  }

  private async writeFile(abs: string, mode: number, mtime: Date | undefined, body: AsyncIterable<Buffer>) {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    let fd: number;
    try {
      fd = openSync(abs, flags, mode);
    } catch (err) {
      // Something is there already (the home folder's files, a name twice in the tar): unlinked, never written through.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      this.replace(abs);
      fd = openSync(abs, flags, mode);
    }
    this.created.push({ abs, folder: false });
    try {
      for await (const chunk of body) {
        for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
        this.bytes += chunk.length;
      }
      fchownSync(fd, this.uid, this.gid);
      // open() gave the mode less the umask; set it whole only when the umask took something.
      if ((mode & UMASK) !== 0) fchmodSync(fd, mode);
      if (mtime) futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** Makes sure every folder above `rel` is a real folder (made when missing); a symlink or file on the way stops it. */
  private ensureParent(rel: string): void {
    const slash = rel.lastIndexOf('/');
    if (slash < 0) return;
    const parent = rel.slice(0, slash);
    if (this.folders.has(parent)) return;
    this.ensureParent(parent);
    const abs = path.join(this.root, parent);
    const st = lstatOrUndefined(abs);
    if (!st) this.mkdir(abs, 0o755);
    else if (!st.isDirectory())
      throw new UnsafeEntryError(`${parent} is ${st.isSymbolicLink() ? 'a symlink' : 'not a folder'}: not followed`);
    this.folders.add(parent);
  }

  /** Clears the place of a new non-folder entry: a folder there stops it; anything else is unlinked (never written through). */
  private replace(abs: string): void {
    const st = lstatOrUndefined(abs);
    if (!st) return;
    if (st.isDirectory())
      throw new UnsafeEntryError(`${path.relative(this.root, abs)} is a folder; the snapshot has a file there`);
    this.unlink(abs);
  }

  private unlink(abs: string): void {
    unlinkSync(abs);
    this.folders.delete(path.relative(this.root, abs));
  }

  private mkdir(abs: string, mode: number): void {
    mkdirSync(abs, mode);
    this.created.push({ abs, folder: true });
    chownSync(abs, this.uid, this.gid);
  }
}

/** Threads writing files beside the one reading the tar: file creation is most of the time, and spreads over cores. */
export const WRITER_THREADS = 2;
/** Larger files are written by the reading thread as they stream (not held in memory). */
const MAX_THREADED_FILE_BYTES = 4 * 1024 * 1024;

/**
 * A writer thread's code: per message, a file created afresh (a non-folder there is unlinked first,
 * never written through: O_EXCL | O_NOFOLLOW), owned and timed as asked. The folders above it were
 * checked by the reading thread. Failures are answered at once; a flush is answered when reached.
 */
const WRITER_CODE = `
const { parentPort, workerData } = require('worker_threads');
const fs = require('fs');
const { uid, gid, umask } = workerData;
const FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
let failed = false;
parentPort.on('message', (msg) => {
  for (const m of msg.files) write(m);
  if (msg.flush !== undefined) parentPort.postMessage({ flushed: msg.flush });
});
function write(m) {
  if (failed) return;
  try {
    let fd;
    try {
      fd = fs.openSync(m.abs, FLAGS, m.mode);
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (fs.lstatSync(m.abs).isDirectory()) {
        const e = new Error(m.rel + ' is a folder; the snapshot has a file there');
        e.unsafe = true;
        throw e;
      }
      fs.unlinkSync(m.abs);
      fd = fs.openSync(m.abs, FLAGS, m.mode);
    }
    try {
      const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off);
      fs.fchownSync(fd, uid, gid);
      if ((m.mode & umask) !== 0) fs.fchmodSync(fd, m.mode);
      if (m.mtime !== undefined) fs.futimesSync(fd, m.mtime, m.mtime);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    failed = true;
    parentPort.postMessage({ error: { message: err.message, code: err.code, unsafe: err.unsafe === true } });
  }
}`;

/** Files per message to a writer thread, and bytes. */
const BATCH_FILES = 128;
const BATCH_BYTES = 4 * 1024 * 1024;

/** A file for a writer thread. */
interface WriteRequest {
  abs: string;
  rel: string;
  data: Uint8Array;
  mode: number;
  mtime?: number;
}

/** One writer thread (see WRITER_CODE). */
class FileWriter {
  private readonly worker: Worker;
  private error?: Error;
  private flushes = 0;
  private readonly waiting = new Map<number, () => void>();
  private batch: WriteRequest[] = [];
  private batchBytes = 0;

  constructor(uid: number, gid: number) {
    this.worker = new Worker(WRITER_CODE, { eval: true, workerData: { uid, gid, umask: UMASK } });
    this.worker.on(
      'message',
      (m: { flushed?: number; error?: { message: string; code?: string; unsafe: boolean } }) => {
        if (m.error) {
          this.error = m.error.unsafe
            ? new UnsafeEntryError(m.error.message)
            : Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {});
          for (const done of this.waiting.values()) done();
        } else if (m.flushed !== undefined) this.waiting.get(m.flushed)?.();
      },
    );
    this.worker.on('error', (err) => {
      this.error ??= err;
      for (const done of this.waiting.values()) done();
    });
  }

  /** Queues a file; files go to the thread in batches (a message each would cost the reading thread more than the write). */
  write(m: WriteRequest): void {
    if (this.error) throw this.error;
    this.batch.push(m);
    this.batchBytes += m.data.byteLength;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.send();
  }

  /** Resolves when the thread has written everything given before; rejects with its failure. */
  async flush(): Promise<void> {
    if (!this.error) {
      const id = ++this.flushes;
      await new Promise<void>((resolve) => {
        this.waiting.set(id, resolve);
        this.send(id);
      });
      this.waiting.delete(id);
    }
    if (this.error) throw this.error;
  }

  private send(flush?: number): void {
    const files = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.worker.postMessage(
      { files, ...(flush !== undefined ? { flush } : {}) },
      files.map((f) => f.data.buffer as ArrayBuffer),
    );
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** A small hash of a path (which writer thread gets it). */
function hashOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h >>> 0;
}

/** This process's umask, read without changing it (process.umask() with no argument is deprecated). */
const UMASK = (() => {
  try {
    const line = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return line?.[1] ? parseInt(line[1], 8) : 0o777;
  } catch {
    return 0o777;
  }
})();

function lstatOrUndefined(abs: string) {
  try {
    return lstatSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of body) void _;
}
