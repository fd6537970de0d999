/**
 * The change as the host sees it. The workspace's files come out of the
 * sandbox as the engine's tar of the folder (no process in the sandbox takes
 * part), are unpacked on the host with limits, and are compared with the base
 * commit by a git that reads no configuration, attributes, excludes or hooks
 * from the sandbox; the sandbox's own .git is never read. The commit, its
 * tree, the patch and the file list all come from that one comparison, so the
 * published change, the gate's input and the verified change are the same.
 *
 * With a post-setup baseline (workspace-baseline.ts) the change is the
 * agent's alone: a path whose content is still what setup left (W = B) is
 * published as the base commit has it; any other path as the workspace has
 * it, deletion included. What setup made is never fed, hashed to disk or
 * counted against the change limit.
 */
import { createHash } from 'crypto';
import { createReadStream, createWriteStream, promises as fs } from 'fs';
import * as path from 'path';
import { once } from 'events';
import type { ChangedFile } from '../shared/changed-file';
import { formatBytes, gitBuffer, NEUTRAL_ATTRIBUTES, spawnGit } from '../codehost/git';
import {
  blobId,
  displayPath,
  MAX_ENTRIES,
  rawName,
  readArchive,
  WorkspaceUnreadableError,
  workspacePath,
  type ArchiveEntry,
  type RawPath,
} from './workspace-archive';
import type { BaselineEntry, WorkspaceBaseline } from './workspace-baseline';

export { displayPath, WorkspaceUnreadableError } from './workspace-archive';

/** What computeWorkspaceChange needs. */
export interface WorkspaceChangeOptions {
  /** A host clone holding the base commit's objects; its work tree is not used. */
  repoDir: string;
  baseCommit: string;
  /** Opens the engine's tar of the workspace folder (entries below one top folder, `workspace/`); called once, when it is read. */
  archive: () => Promise<NodeJS.ReadableStream>;
  /** An empty folder for the unpacked files; the caller removes it. */
  scratchDir: string;
  /** Most bytes of new or changed file content one change may hold. */
  maxChangeBytes: number;
  /** Most bytes the workspace's files may add up to. */
  maxWorkspaceBytes: number;
  /** Untracked paths that are never part of a change (gitignore syntax), besides the workspace's .gitignore files. */
  excludes: readonly string[];
  /** The workspace as setup left it; absent (no setup phase): the change is against the base commit alone. */
  baseline?: WorkspaceBaseline;
}

/** The change of a workspace against its base commit. */
export interface WorkspaceChange {
  /** A commit on the base commit whose tree is the workspace (held in repoDir). */
  commit: string;
  tree: string;
  /** `git diff --binary` of base → tree: what publishing applies. */
  patch: Buffer;
  /** The same diff with every file shown as text: what the publish gate reads. */
  textPatch: Buffer;
  files: ChangedFile[];
  /** Base-commit files setup changed or deleted and the agent did not touch: left out of the change (display paths). */
  setupChanged: string[];
}

/** Thrown when the files a change adds or modifies are larger than the change limit. */
export class ChangeTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
    largest: { path: string; size: number }[],
  ) {
    super(
      `the change adds or modifies ${formatBytes(bytes)} of file content, more than the limit of ${formatBytes(limit)} (DRYDOCK_MAX_CHANGE_BYTES); largest: ${largest
        .map((f) => `${f.path} (${formatBytes(f.size)})`)
        .join(', ')}`,
    );
    this.name = 'ChangeTooLargeError';
  }
}

/** Files up to this size are hashed in memory before deciding whether to keep them; larger ones go to disk first. */
const IN_MEMORY_BYTES = 1024 * 1024;
/** A blob or tree id. */
const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** One file of the base commit. */
interface BaseEntry {
  mode: string;
  oid: string;
  size: number;
}

/** One regular file of the workspace. */
interface WorkspaceFile {
  oid: string;
  size: number;
  executable: boolean;
  /** Its content is on disk under scratchDir (new or changed files, and every .gitignore). */
  onDisk: boolean;
  /** Its blob is the base commit's at the same path (so the host repository has it). */
  inRepo?: boolean;
}

/** Computes the workspace's change against its base commit; see the module comment. */
export async function computeWorkspaceChange(o: WorkspaceChangeOptions): Promise<WorkspaceChange> {
  const gitOptions = { cwd: o.repoDir, isolated: true };
  await fs.mkdir(path.join(o.repoDir, '.git', 'info'), { recursive: true });
  await fs.writeFile(path.join(o.repoDir, '.git', 'info', 'attributes'), NEUTRAL_ATTRIBUTES);
  const base = await readBaseTree(o.repoDir, o.baseCommit);
  const workspace = await unpackWorkspace(o, base);
  const untracked = await untrackedFiles(o, workspace.symlinks);

  const { lines, setupChanged } = treeLines(base, workspace, untracked, o.baseline);
  refuseLargeChange(lines, workspace.files, o.maxChangeBytes);
  const commit = await fastImport(o, lines);
  const tree = (await gitBuffer(['rev-parse', `${commit}^{tree}`], gitOptions)).toString('utf8').trim();
  const diffArgs = [
    'diff-tree',
    '-r',
    '--no-renames',
    '--no-ext-diff',
    '--no-textconv',
    '--full-index',
    '--src-prefix=a/',
    '--dst-prefix=b/',
  ];
  const maxOutputBytes = o.maxChangeBytes * 3 + 64 * 1024 * 1024;
  const [patch, textPatch, raw, numstat] = await Promise.all([
    gitBuffer([...diffArgs, '-p', '--binary', o.baseCommit, commit], { ...gitOptions, maxOutputBytes }),
    gitBuffer([...diffArgs, '-p', '-a', o.baseCommit, commit], { ...gitOptions, maxOutputBytes }),
    gitBuffer(['diff-tree', '-r', '-z', '--no-renames', '--raw', o.baseCommit, commit], gitOptions),
    gitBuffer(['diff-tree', '-r', '-z', '--no-renames', '--numstat', o.baseCommit, commit], gitOptions),
  ]);
  return {
    commit,
    tree,
    patch,
    textPatch,
    files: changedFiles(raw, numstat, workspace.symlinks),
    setupChanged: setupChanged.map(displayPath),
  };
}

/** One path of the new tree, for fast-import: by an existing blob id, or with its content (from disk, or given). */
interface TreeLine {
  path: RawPath;
  mode: string;
  oid?: string;
  source?: { file?: RawPath; text?: Buffer };
}

/** What a path holds in the workspace: git mode and blob id, or undefined when it is absent. */
function workspaceEntry(
  p: RawPath,
  workspace: { files: Map<RawPath, WorkspaceFile>; symlinks: Map<RawPath, Buffer> },
): { mode: string; oid: string } | undefined {
  const target = workspace.symlinks.get(p);
  if (target !== undefined) return { mode: '120000', oid: blobId(target) };
  const file = workspace.files.get(p);
  return file && { mode: file.executable ? '100755' : '100644', oid: file.oid };
}

/** True when the workspace holds at p exactly what setup left there (both absent counts). */
function asSetupLeftIt(
  p: RawPath,
  workspace: { files: Map<RawPath, WorkspaceFile>; symlinks: Map<RawPath, Buffer> },
  baseline: WorkspaceBaseline,
): boolean {
  const now = workspaceEntry(p, workspace);
  const then = baseline.get(p);
  if (!now || !then) return !now && !then;
  return now.mode === then.mode && now.oid === then.oid;
}

/**
 * The new tree: every base file still present (by its base blob when
 * unchanged), every untracked file that is not ignored; base files that are
 * gone are left out (fast-import's deleteall, then a line for what stays).
 * With a baseline, a path the agent left as setup made it takes the base
 * commit's entry (or stays out); base files setup changed that way are listed.
 */
function treeLines(
  base: Map<RawPath, BaseEntry>,
  workspace: { files: Map<RawPath, WorkspaceFile>; symlinks: Map<RawPath, Buffer> },
  untracked: RawPath[],
  baseline?: WorkspaceBaseline,
): { lines: TreeLine[]; setupChanged: RawPath[] } {
  const lines: TreeLine[] = [];
  const setupChanged: RawPath[] = [];
  for (const [p, entry] of base) {
    if (entry.mode === '160000') {
      lines.push({ path: p, mode: entry.mode, oid: entry.oid });
      continue;
    }
    if (baseline && asSetupLeftIt(p, workspace, baseline)) {
      lines.push({ path: p, mode: entry.mode, oid: entry.oid });
      const then = baseline.get(p);
      if (!then || then.oid !== entry.oid || then.mode !== entry.mode) setupChanged.push(p);
      continue;
    }
    const target = workspace.symlinks.get(p);
    if (target !== undefined) {
      const oid = blobId(target);
      const unchanged = oid === entry.oid && entry.mode === '120000';
      lines.push(unchanged ? { path: p, mode: '120000', oid } : { path: p, mode: '120000', source: { text: target } });
      continue;
    }
    const file = workspace.files.get(p);
    if (!file) continue;
    const mode = file.executable ? '100755' : '100644';
    lines.push(file.oid === entry.oid ? { path: p, mode, oid: entry.oid } : fileLine(p, mode, file));
  }
  for (const p of untracked) {
    if (baseline && asSetupLeftIt(p, workspace, baseline)) continue;
    const target = workspace.symlinks.get(p);
    if (target !== undefined) {
      lines.push({ path: p, mode: '120000', source: { text: target } });
      continue;
    }
    const file = workspace.files.get(p);
    if (file) lines.push(fileLine(p, file.executable ? '100755' : '100644', file));
  }
  return { lines, setupChanged };
}

/** Throws ChangeTooLargeError when the content fed from disk adds up to more than the change limit. */
function refuseLargeChange(lines: TreeLine[], files: Map<RawPath, WorkspaceFile>, maxChangeBytes: number): void {
  const fed = lines
    .filter((l) => l.source?.file !== undefined)
    .map((l) => ({ path: l.path, size: files.get(l.path)?.size ?? 0 }));
  const fedBytes = fed.reduce((n, f) => n + f.size, 0);
  if (fedBytes <= maxChangeBytes) return;
  const largest = fed
    .sort((a, b) => b.size - a.size)
    .slice(0, 3)
    .map((f) => ({ path: displayPath(f.path), size: f.size }));
  throw new ChangeTooLargeError(fedBytes, maxChangeBytes, largest);
}

/** A line feeding a workspace file's content from disk. */
function fileLine(
  p: RawPath,
  mode: string,
  file: WorkspaceFile,
): { path: RawPath; mode: string; oid?: string; source?: { file: RawPath } } {
  // A hard link to an unchanged base file carries that file's blob, which the repository has.
  if (!file.onDisk) {
    if (file.inRepo === false)
      throw new WorkspaceUnreadableError(
        `${displayPath(p)} is a hard link to a file the setup phase made; the change cannot carry it (copy the file instead)`,
      );
    return { path: p, mode, oid: file.oid };
  }
  return { path: p, mode, source: { file: p } };
}

/** Every file of the base commit (blobs, symlinks, gitlinks) by path. */
async function readBaseTree(repoDir: string, baseCommit: string): Promise<Map<RawPath, BaseEntry>> {
  const listing = await gitBuffer(['ls-tree', '-r', '-l', '-z', '--full-tree', baseCommit], {
    cwd: repoDir,
    isolated: true,
  });
  const entries = new Map<RawPath, BaseEntry>();
  for (const record of listing.toString('latin1').split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', , oid = '', size = '-'] = record.slice(0, tab).split(/ +/);
    entries.set(record.slice(tab + 1), { mode, oid, size: size === '-' ? 0 : Number(size) });
  }
  return entries;
}

/** The workspace's regular files and symlinks, with new and changed files' content on disk. */
async function unpackWorkspace(
  o: WorkspaceChangeOptions,
  base: Map<RawPath, BaseEntry>,
): Promise<{ files: Map<RawPath, WorkspaceFile>; symlinks: Map<RawPath, Buffer> }> {
  const unpacked = new UnpackedWorkspace(o, base);
  await readArchive(o.archive, (entry) => unpacked.add(entry));
  return { files: unpacked.files, symlinks: unpacked.symlinks };
}

/** The workspace as its archive is read: what each path is, and where new or changed content sits on disk. */
class UnpackedWorkspace {
  readonly files = new Map<RawPath, WorkspaceFile>();
  readonly symlinks = new Map<RawPath, Buffer>();
  private readonly madeDirs = new Set<string>();
  private total = 0;
  private count = 0;

  constructor(
    private readonly o: WorkspaceChangeOptions,
    private readonly base: Map<RawPath, BaseEntry>,
  ) {}

  /** Takes one entry: a file, a symlink, a hard link; folders, devices and .git are passed over. */
  async add(entry: ArchiveEntry): Promise<void> {
    const header = entry.header;
    const p = workspacePath(rawName(header.name, header.pax, 'path'));
    if (++this.count > MAX_ENTRIES)
      throw new WorkspaceUnreadableError(`the workspace holds more than ${MAX_ENTRIES} entries`);
    const kind = header.type;
    if (p === undefined || (kind !== 'symlink' && kind !== 'link' && kind !== 'file' && kind !== 'contiguous-file')) {
      entry.resume();
      return;
    }
    this.refuseBelowFile(p);
    if (kind === 'symlink') return this.addSymlink(p, entry);
    if (kind === 'link') return this.addHardLink(p, entry);
    return this.addFile(p, entry);
  }

  private onDisk(p: RawPath): Buffer {
    return Buffer.from(path.join(this.o.scratchDir, ...p.split('/')), 'latin1');
  }

  /** A path below a file or symlink is refused (nothing is written through a link). */
  private refuseBelowFile(p: RawPath): void {
    const parent = p.split('/').slice(0, -1);
    for (let i = 1; i <= parent.length; i++) {
      const prefix = parent.slice(0, i).join('/');
      if (this.symlinks.has(prefix) || this.files.has(prefix)) {
        throw new WorkspaceUnreadableError(`the workspace archive has ${displayPath(p)} below a file or symlink`);
      }
    }
  }

  /** Makes the folders above a path on disk, when something is written there (what setup made and nobody touched never is). */
  private async ensureParent(p: RawPath): Promise<void> {
    const parent = p.split('/').slice(0, -1);
    const dir = parent.join('/');
    if (dir === '' || this.madeDirs.has(dir)) return;
    await fs.mkdir(Buffer.from(path.join(this.o.scratchDir, ...parent), 'latin1'), { recursive: true });
    this.madeDirs.add(dir);
  }

  private async addSymlink(p: RawPath, entry: ArchiveEntry): Promise<void> {
    const target = Buffer.from(rawName(entry.header.linkname ?? '', entry.header.pax, 'linkpath'), 'latin1');
    this.symlinks.set(p, target);
    entry.resume();
    // A base symlink needs no placeholder (it is tracked), nor does one exactly as setup made it (it is no change).
    const setupEntry = this.o.baseline?.get(p);
    if (this.base.has(p) || (setupEntry?.mode === '120000' && setupEntry.oid === blobId(target))) return;
    // A placeholder (never a real link on the host): it lets git tell whether the path is ignored.
    await this.ensureParent(p);
    await fs.writeFile(this.onDisk(p), '');
  }

  private async addHardLink(p: RawPath, entry: ArchiveEntry): Promise<void> {
    const source = workspacePath(rawName(entry.header.linkname ?? '', entry.header.pax, 'linkpath'));
    const known = source === undefined ? undefined : this.files.get(source);
    if (!known || source === undefined) {
      throw new WorkspaceUnreadableError(`the workspace archive links ${displayPath(p)} to an unknown file`);
    }
    const executable = ((entry.header.mode ?? 0) & 0o111) !== 0;
    const setupEntry = this.o.baseline?.get(p);
    const asSetupMadeIt = setupEntry?.oid === known.oid && setupEntry.mode === (executable ? '100755' : '100644');
    if (known.onDisk) {
      await this.ensureParent(p);
      await fs.copyFile(this.onDisk(source), this.onDisk(p));
    } else if (!this.base.has(p) && !asSetupMadeIt) {
      // A new link to a file whose content is not on disk: a placeholder lets git list it (its blob is known).
      await this.ensureParent(p);
      await fs.writeFile(this.onDisk(p), '');
    }
    this.files.set(p, { ...known, executable });
    entry.resume();
  }

  /**
   * A regular file, hashed as git would (blob id) while it streams. A base (or
   * baseline) file of the same size is held in memory (small) or on disk
   * (large) until its id says whether it changed; new, resized and .gitignore
   * files go to disk. A file exactly as setup left it never stays on disk.
   */
  private async addFile(p: RawPath, entry: ArchiveEntry): Promise<void> {
    const size = entry.header.size ?? 0;
    const executable = ((entry.header.mode ?? 0) & 0o111) !== 0;
    this.total += size;
    if (this.total > this.o.maxWorkspaceBytes) {
      throw new WorkspaceUnreadableError(
        `the workspace's files add up to more than ${formatBytes(this.o.maxWorkspaceBytes)}`,
      );
    }
    const baseEntry = this.base.get(p);
    const setupEntry: BaselineEntry | undefined = this.o.baseline?.get(p);
    const mode = executable ? '100755' : '100644';
    const sameSize = baseEntry?.size === size || (setupEntry?.mode !== '120000' && setupEntry?.size === size);
    const keepAlways = p === '.gitignore' || p.endsWith('/.gitignore') || !sameSize;
    // The content is needed unless the host repository has its blob, or it is exactly what setup left.
    const needed = (oid: string) => oid !== baseEntry?.oid && !(oid === setupEntry?.oid && mode === setupEntry.mode);
    const hash = createHash('sha1').update(`blob ${size}\0`);
    if (!keepAlways && size <= IN_MEMORY_BYTES) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) {
        hash.update(chunk);
        chunks.push(chunk);
      }
      const oid = hash.digest('hex');
      const kept = needed(oid);
      if (kept) await this.ensureParent(p);
      if (kept) await fs.writeFile(this.onDisk(p), Buffer.concat(chunks));
      this.files.set(p, { oid, size, executable, onDisk: kept, inRepo: oid === baseEntry?.oid });
      return;
    }
    await this.ensureParent(p);
    const out = createWriteStream(this.onDisk(p));
    for await (const chunk of entry) {
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const oid = hash.digest('hex');
    const kept = keepAlways || needed(oid);
    if (!kept) await fs.rm(this.onDisk(p));
    this.files.set(p, { oid, size, executable, onDisk: kept, inRepo: oid === baseEntry?.oid });
  }
}

/** Untracked files that are not ignored (the workspace's .gitignore files and the excludes), by a git that reads no other configuration. */
async function untrackedFiles(o: WorkspaceChangeOptions, symlinks: Map<RawPath, Buffer>): Promise<RawPath[]> {
  const index = path.join(o.scratchDir, '..', `${path.basename(o.scratchDir)}.index`);
  const excludes = path.join(o.scratchDir, '..', `${path.basename(o.scratchDir)}.exclude`);
  await fs.writeFile(excludes, `${o.excludes.join('\n')}\n`);
  const env = { GIT_INDEX_FILE: index, GIT_DIR: path.join(o.repoDir, '.git'), GIT_WORK_TREE: o.scratchDir };
  try {
    await gitBuffer(['read-tree', o.baseCommit], { cwd: o.scratchDir, isolated: true, env });
    const out = await gitBuffer(['ls-files', '--others', '--exclude-standard', `--exclude-from=${excludes}`, '-z'], {
      cwd: o.scratchDir,
      isolated: true,
      env,
    });
    const listed = out.toString('latin1').split('\0').filter(Boolean);
    // A symlink placeholder is a file to git; a path git lists as a folder (a nested repository) is left out.
    return listed.filter((p) => !p.endsWith('/') || symlinks.has(p.slice(0, -1)));
  } finally {
    await fs.rm(index, { force: true });
    await fs.rm(excludes, { force: true });
  }
}

/** Feeds the new tree to `git fast-import` (no attributes, no filters, no hooks); returns the commit. */
async function fastImport(o: WorkspaceChangeOptions, lines: TreeLine[]): Promise<string> {
  const ref = 'refs/drydock/change';
  const child = spawnGit(['fast-import', '--quiet', '--done'], { cwd: o.repoDir, isolated: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = once(child, 'close') as Promise<[number | null]>;
  const stdin = child.stdin!;
  const write = async (data: Buffer | string) => {
    if (!stdin.write(data)) await Promise.race([once(stdin, 'drain'), exited]);
  };
  try {
    await write(
      `commit ${ref}\ncommitter drydock <drydock@localhost> 0 +0000\ndata 0\nfrom ${o.baseCommit}\ndeleteall\n`,
    );
    for (const line of lines) {
      const quoted = quotePath(line.path);
      if (line.oid !== undefined) {
        if (!OID.test(line.oid)) throw new Error(`not an object id: ${line.oid}`);
        await write(Buffer.concat([Buffer.from(`M ${line.mode} ${line.oid} `), quoted, Buffer.from('\n')]));
        continue;
      }
      if (line.source?.text !== undefined) {
        await write(
          Buffer.concat([
            Buffer.from(`M ${line.mode} inline `),
            quoted,
            Buffer.from(`\ndata ${line.source.text.length}\n`),
            line.source.text,
            Buffer.from('\n'),
          ]),
        );
        continue;
      }
      const file = Buffer.from(path.join(o.scratchDir, ...(line.source?.file ?? '').split('/')), 'latin1');
      const size = (await fs.stat(file)).size;
      await write(Buffer.concat([Buffer.from(`M ${line.mode} inline `), quoted, Buffer.from(`\ndata ${size}\n`)]));
      for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) await write(chunk);
      await write('\n');
    }
    await write('\ndone\n');
    stdin.end();
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const [code] = await exited;
  if (code !== 0) throw new Error(`git fast-import failed (exit ${code}): ${stderr.trim().slice(0, 500)}`);
  return (await gitBuffer(['rev-parse', ref], { cwd: o.repoDir, isolated: true })).toString('utf8').trim();
}

/** A path in fast-import's C-style quotes: quotes, backslashes and control bytes escaped, other bytes as they are. */
function quotePath(p: RawPath): Buffer {
  const bytes = Buffer.from(p, 'latin1');
  const out: number[] = [0x22];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b < 0x20 || b === 0x7f) out.push(...Buffer.from(`\\${b.toString(8).padStart(3, '0')}`));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}

/** ChangedFile records from `diff-tree --raw -z` and `--numstat -z`. */
function changedFiles(raw: Buffer, numstat: Buffer, symlinks: Map<RawPath, Buffer>): ChangedFile[] {
  const stats = new Map<RawPath, { additions: number | null; deletions: number | null }>();
  for (const record of numstat.toString('latin1').split('\0')) {
    const m = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(record);
    if (m)
      stats.set(m[3] ?? '', {
        additions: m[1] === '-' ? null : Number(m[1]),
        deletions: m[2] === '-' ? null : Number(m[2]),
      });
  }
  const fields = raw.toString('latin1').split('\0');
  const out: ChangedFile[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const m = /^:(\d+) (\d+) [0-9a-f]+ [0-9a-f]+ ([A-Z])/.exec(fields[i] ?? '');
    const p = fields[i + 1] ?? '';
    if (!m) continue;
    const status = m[3] ?? 'M';
    const mode = status === 'D' ? (m[1] ?? '') : (m[2] ?? '');
    const stat = stats.get(p);
    const target = mode === '120000' && status !== 'D' ? symlinks.get(p) : undefined;
    out.push({
      path: displayPath(p),
      status,
      additions: stat?.additions ?? null,
      deletions: stat?.deletions ?? null,
      mode,
      binary: stat !== undefined && stat.additions === null,
      ...(target !== undefined ? { symlinkTarget: target.toString('utf8') } : {}),
    });
  }
  return out;
}
