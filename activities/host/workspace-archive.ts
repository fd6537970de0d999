/**
 * Reading the engine's tar of a workspace on the host: entry names as raw
 * bytes, paths kept below the workspace folder (never inside .git), git blob
 * ids. Shared by the change (workspace-change.ts) and the post-setup baseline
 * (workspace-baseline.ts), so both see a workspace the same way.
 */
import { createHash } from 'crypto';
import { pipeline } from 'stream/promises';
import * as tar from 'tar-stream';

/** Paths are kept as latin1 strings: one character per byte, so names that are not UTF-8 survive. */
export type RawPath = string;

/** Thrown when the workspace's files add up to more than the workspace limit, or its archive is not what the engine writes. */
export class WorkspaceUnreadableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkspaceUnreadableError';
  }
}

/** Most entries a workspace archive may hold. */
export const MAX_ENTRIES = 2_000_000;

/** One entry of the engine's tar. */
export type ArchiveEntry = AsyncIterable<Buffer> & { header: tar.Header; resume(): void };

/** Reads a workspace archive entry by entry (each one consumed or resumed by `add` before the next). */
export async function readArchive(
  open: () => Promise<NodeJS.ReadableStream>,
  add: (entry: ArchiveEntry) => Promise<void>,
): Promise<void> {
  const extract = tar.extract({ filenameEncoding: 'latin1' } as Parameters<typeof tar.extract>[0]);
  const archive = await open();
  const feeding = pipeline(archive, extract as unknown as NodeJS.WritableStream).catch((err: unknown) => {
    extract.destroy(err as Error);
  });
  try {
    for await (const entry of extract) await add(entry as unknown as ArchiveEntry);
  } finally {
    (archive as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    await feeding;
  }
}

/** The git blob id of some bytes (SHA-1 object format). */
export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** A header's name as latin1 bytes: names from a PAX record were decoded as UTF-8, the others as latin1. */
export function rawName(name: string, pax: unknown, key: 'path' | 'linkpath'): RawPath {
  const fromPax = typeof pax === 'object' && pax !== null && typeof (pax as Record<string, unknown>)[key] === 'string';
  return fromPax ? Buffer.from(name, 'utf8').toString('latin1') : name;
}

/**
 * A tar entry's path below the workspace folder, or undefined for the folder
 * itself and for anything inside a .git folder (git's own files are never part
 * of a change). Throws on a path that would leave the folder.
 */
export function workspacePath(name: string): RawPath | undefined {
  const parts = name.split('/').filter((s) => s !== '' && s !== '.');
  parts.shift();
  if (parts.length === 0) return undefined;
  if (name.startsWith('/') || parts.includes('..'))
    throw new WorkspaceUnreadableError(
      `the workspace archive has an entry outside the workspace: ${displayPath(name)}`,
    );
  if (parts.some((s) => s.toLowerCase() === '.git')) return undefined;
  return parts.join('/');
}

/** A raw path as text for people and records (UTF-8, as git shows it). */
export function displayPath(p: RawPath): string {
  return Buffer.from(p, 'latin1').toString('utf8');
}
