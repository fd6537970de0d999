/**
 * A snapshot's manifest: per workspace path of the snapshot, what the
 * post-setup baseline records for it (git mode, blob id, size), computed on the
 * host from the engine's tar when the snapshot is taken, with the same rules
 * as readWorkspaceBaseline (workspace-baseline.ts). A goal that starts from the
 * snapshot and runs nothing after it gets its baseline from this manifest and
 * the copied repository's own (copyRepository), instead of the host reading
 * the whole workspace again.
 */
import { createHash, type Hash } from 'crypto';
import { gunzipSync, gzipSync } from 'zlib';
import type * as tar from 'tar-stream';
import { blobId, workspacePath, type RawPath } from '../host/workspace-archive';
import type { BaselineEntry, WorkspaceBaseline } from '../host/workspace-baseline';

/** A manifest entry: a file or symlink as the baseline records it, or a hard link naming its source. */
export type ManifestEntry = BaselineEntry | { mode: string; link: RawPath };

/** A snapshot's workspace paths, in the tar's order. */
export type SnapshotManifest = Map<RawPath, ManifestEntry>;

/** Builds a manifest from a tar's entries as they pass (start, chunks, end). */
export class ManifestBuilder {
  readonly manifest: SnapshotManifest = new Map();
  private current?: { path: RawPath; mode: string; hash: Hash; size: number };

  /** An entry starts: `rel` is its raw path below the workspace, `linkRel` a hard link's source (raw). */
  start(rel: RawPath, header: tar.Header, linkRel?: RawPath): void {
    this.end();
    const p = workspacePath(`_/${rel}`);
    if (p === undefined) return;
    const mode = ((header.mode ?? 0) & 0o111) !== 0 ? '100755' : '100644';
    if (header.type === 'symlink') {
      const target = Buffer.from(header.linkname ?? '', 'utf8');
      this.manifest.set(p, { mode: '120000', oid: blobId(target), size: target.length });
    } else if (header.type === 'link') {
      const source = linkRel === undefined ? undefined : workspacePath(`_/${linkRel}`);
      if (source !== undefined) this.manifest.set(p, { mode, link: source });
    } else if (header.type === 'file' || header.type === 'contiguous-file') {
      const size = header.size ?? 0;
      this.current = { path: p, mode, size, hash: createHash('sha1').update(`blob ${size}\0`) };
    }
  }

  /** Bytes of the current entry. */
  chunk(data: Buffer): void {
    this.current?.hash.update(data);
  }

  /** The current entry ended (also called by the next start). */
  end(): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    this.manifest.set(c.path, { mode: c.mode, oid: c.hash.digest('hex'), size: c.size });
  }
}

/** The manifest as stored: gzipped JSON, `[path, mode, oid, size]` or `[path, mode, null, 0, source]` per entry. */
export function encodeManifest(manifest: SnapshotManifest): Buffer {
  const entries = [...manifest].map(([p, e]) =>
    'link' in e ? [p, e.mode, null, 0, e.link] : [p, e.mode, e.oid, e.size],
  );
  return gzipSync(Buffer.from(JSON.stringify({ version: 1, entries }), 'utf8'));
}

/** Reads a stored manifest; throws on anything that is not one. */
export function decodeManifest(data: Buffer): SnapshotManifest {
  const parsed = JSON.parse(gunzipSync(data).toString('utf8')) as { version?: unknown; entries?: unknown };
  if (parsed.version !== 1 || !Array.isArray(parsed.entries)) throw new Error('not a snapshot manifest (version 1)');
  const manifest: SnapshotManifest = new Map();
  for (const e of parsed.entries as unknown[]) {
    const [p, mode, oid, size, link] = e as unknown[];
    if (typeof p !== 'string' || typeof mode !== 'string') throw new Error('a snapshot manifest entry is malformed');
    if (typeof link === 'string') manifest.set(p, { mode, link });
    else if (typeof oid === 'string' && typeof size === 'number') manifest.set(p, { mode, oid, size });
    else throw new Error('a snapshot manifest entry is malformed');
  }
  return manifest;
}

/**
 * The baseline of a workspace made of the copied repository (`copied`, its own
 * baseline) and then the snapshot's entries that `kept` accepts put in over it;
 * a string saying why not when a hard link's source is not a file there.
 */
export function deriveBaseline(
  copied: WorkspaceBaseline,
  manifest: SnapshotManifest,
  kept: (p: RawPath) => boolean,
): WorkspaceBaseline | string {
  const baseline: WorkspaceBaseline = new Map(copied);
  for (const [p, e] of manifest) {
    if (!kept(p)) continue;
    if ('link' in e) {
      const source = baseline.get(e.link);
      if (!source || source.mode === '120000') return `the snapshot's hard link ${p} has no file as its source`;
      baseline.set(p, { ...source, mode: e.mode });
    } else baseline.set(p, e);
  }
  return baseline;
}

/**
 * Why a baseline cannot be derived for a warm container (the snapshot went in
 * first, the goal's copy over it): a kept snapshot path that is a folder of the
 * copy (the copy replaced the file with the folder), or a kept hard link whose
 * source the copy replaced (the link still holds the snapshot's bytes).
 * Undefined: deriveBaseline(copied, manifest, kept) is what the workspace holds.
 */
export function warmOrderProblem(
  copied: WorkspaceBaseline,
  manifest: SnapshotManifest,
  kept: (p: RawPath) => boolean,
): string | undefined {
  const folders = new Set<RawPath>();
  for (const p of copied.keys())
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) folders.add(p.slice(0, i));
  for (const [p, e] of manifest) {
    if (!kept(p)) continue;
    if (folders.has(p)) return `the snapshot's ${p} is a folder of the goal's commit`;
    if ('link' in e && !kept(e.link)) return `the snapshot's hard link ${p} shares a file the goal's commit replaced`;
  }
  return undefined;
}
