/**
 * The post-setup baseline: what the workspace holds when the setup phase has
 * run, read on the host from the engine's tar of the folder (nothing the
 * sandbox computes): per path its git mode, blob id and size. The change is
 * then the agent's alone: a path whose content is still the baseline's is
 * published as the base commit has it (see workspace-change.ts).
 */
import { createHash } from 'crypto';
import { gunzipSync, gzipSync } from 'zlib';
import { formatBytes } from '../codehost/git';
import {
  blobId,
  MAX_ENTRIES,
  rawName,
  readArchive,
  WorkspaceUnreadableError,
  workspacePath,
  type ArchiveEntry,
  type RawPath,
} from './workspace-archive';

/** One path of the baseline: git mode (100644, 100755, 120000), blob id, size in bytes. */
export interface BaselineEntry {
  mode: string;
  oid: string;
  size: number;
}

/** The workspace after setup, by raw path. */
export type WorkspaceBaseline = Map<RawPath, BaselineEntry>;

/** What readWorkspaceBaseline needs. */
export interface ReadBaselineOptions {
  /** Opens the engine's tar of the workspace folder (entries below one top folder). */
  archive: () => Promise<NodeJS.ReadableStream>;
  /** Most bytes the workspace's files may add up to. */
  maxWorkspaceBytes: number;
  /** `relative`: the tar's names are relative to the workspace (`./src/a.ts`, as tarOf makes them), not below a top folder. */
  names?: 'below-top' | 'relative';
}

/** Reads the baseline from the workspace's archive: regular files, hard links and symlinks; .git and folders are passed over. */
export async function readWorkspaceBaseline(o: ReadBaselineOptions): Promise<WorkspaceBaseline> {
  const baseline: WorkspaceBaseline = new Map();
  let total = 0;
  let count = 0;
  await readArchive(o.archive, async (entry: ArchiveEntry) => {
    const header = entry.header;
    if (++count > MAX_ENTRIES)
      throw new WorkspaceUnreadableError(`the workspace holds more than ${MAX_ENTRIES} entries`);
    const name = rawName(header.name, header.pax, 'path');
    const p = workspacePath(o.names === 'relative' ? `_/${name}` : name);
    const executable = ((header.mode ?? 0) & 0o111) !== 0;
    if (p === undefined) return entry.resume();
    if (header.type === 'symlink') {
      const target = Buffer.from(rawName(header.linkname ?? '', header.pax, 'linkpath'), 'latin1');
      baseline.set(p, { mode: '120000', oid: blobId(target), size: target.length });
      return entry.resume();
    }
    if (header.type === 'link') {
      const linkname = rawName(header.linkname ?? '', header.pax, 'linkpath');
      const source = workspacePath(o.names === 'relative' ? `_/${linkname}` : linkname);
      const known = source === undefined ? undefined : baseline.get(source);
      if (known && known.mode !== '120000') baseline.set(p, { ...known, mode: executable ? '100755' : '100644' });
      return entry.resume();
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') return entry.resume();
    const size = header.size ?? 0;
    total += size;
    if (total > o.maxWorkspaceBytes)
      throw new WorkspaceUnreadableError(
        `the workspace's files after setup add up to more than ${formatBytes(o.maxWorkspaceBytes)}`,
      );
    const hash = createHash('sha1').update(`blob ${size}\0`);
    for await (const chunk of entry) hash.update(chunk);
    baseline.set(p, { mode: executable ? '100755' : '100644', oid: hash.digest('hex'), size });
  });
  return baseline;
}

/** The baseline as stored: gzipped JSON, one `[path, mode, oid, size]` per entry. */
export function encodeBaseline(baseline: WorkspaceBaseline): Buffer {
  const entries = [...baseline].map(([p, e]) => [p, e.mode, e.oid, e.size]);
  return gzipSync(Buffer.from(JSON.stringify({ version: 1, entries }), 'utf8'));
}

/** Reads a stored baseline; throws on anything that is not one. */
export function decodeBaseline(data: Buffer): WorkspaceBaseline {
  const parsed = JSON.parse(gunzipSync(data).toString('utf8')) as { version?: unknown; entries?: unknown };
  if (parsed.version !== 1 || !Array.isArray(parsed.entries)) throw new Error('not a workspace baseline (version 1)');
  const baseline: WorkspaceBaseline = new Map();
  for (const e of parsed.entries as unknown[]) {
    const [p, mode, oid, size] = e as [unknown, unknown, unknown, unknown];
    if (typeof p !== 'string' || typeof mode !== 'string' || typeof oid !== 'string' || typeof size !== 'number')
      throw new Error('a workspace baseline entry is malformed');
    baseline.set(p, { mode, oid, size });
  }
  return baseline;
}
