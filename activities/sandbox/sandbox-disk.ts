/**
 * A fixed-size disk per sandbox: a sparse image file formatted ext4 and
 * mounted on the host (under /run) through a loop device, whose `workspace` and `home`
 * folders become the sandbox's /workspace and /home/drydock. The kernel stops
 * writes at its size (ENOSPC), so a sandbox cannot fill the host's disk, and
 * the host pays only for what was written. Needs root, loop devices and an
 * engine on this machine; disks() tells why not where it cannot work, and the
 * sandbox then keeps an anonymous volume (no size limit).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { constants as fsConstants, existsSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

/** Label on a container: the id of its disk (see SandboxDisks). */
export const DISK_LABEL = 'drydock.disk';
/** Label on a container: its disk's size in bytes. */
export const DISK_BYTES_LABEL = 'drydock.disk-bytes';

/** The owner of the disk's folders: the sandbox user. */
const OWNER = { uid: 1000, gid: 1000 };
/** A disk this young may still be waiting for its container: a sweep leaves it alone. */
const SWEEP_GRACE_MS = 5 * 60_000;
/** Smallest disk that holds an ext4 journal and a workspace. */
export const MIN_DISK_BYTES = 64 * 1024 ** 2;

const run = promisify(execFile);

/**
 * Where disk images are kept: host state beside the engine's own (/var/lib/docker held the
 * anonymous volumes before), outside any data folder that is backed up, copied or searched.
 */
export const DEFAULT_IMAGE_ROOT = '/var/lib/drydock/sandbox-disks';

/**
 * Where disks are mounted: under /run, which a reboot empties as it does the mounts, and outside
 * any data folder, so that deleting one (`rm -rf`) never walks into a sandbox's disk.
 */
export const DEFAULT_MOUNT_ROOT = '/run/drydock/sandbox-disks';

/** What callers pass to SandboxDisks. */
export interface SandboxDisksOptions {
  /** Folder holding the image files (on the host that runs the engine); DEFAULT_IMAGE_ROOT on a worker. */
  root: string;
  /** Folder of the mount points; DEFAULT_MOUNT_ROOT when absent. */
  mountRoot?: string;
  /** Size of each disk in bytes. */
  sizeBytes: number;
}

/** A mounted disk: host folders to bind into the sandbox. */
export interface SandboxDisk {
  id: string;
  sizeBytes: number;
  /** Host folder mounted as /workspace. */
  workspace: string;
  /** Host folder mounted as /home/drydock. */
  home: string;
}

/** Whether fixed-size disks work here, and why not when they do not. */
export type DiskSupport = { ok: true } | { ok: false; reason: string };

/** Creates, mounts, finds and removes sandbox disks under one folder. */
export class SandboxDisks {
  constructor(readonly options: SandboxDisksOptions) {}

  /** Size of each disk in bytes. */
  get sizeBytes(): number {
    return this.options.sizeBytes;
  }

  /** Creates and mounts a fresh disk owned by the sandbox user. */
  async create(): Promise<SandboxDisk> {
    const id = `d${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    await fs.mkdir(this.options.root, { recursive: true, mode: 0o700 });
    const image = this.imageOf(id);
    try {
      // A sparse file: the host's disk holds only what the sandbox writes.
      const file = await fs.open(image, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
      await file.truncate(this.options.sizeBytes).finally(() => file.close());
      await run(
        'mkfs.ext4',
        [
          '-q',
          '-F',
          '-m',
          '0',
          '-E',
          `lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=${OWNER.uid}:${OWNER.gid}`,
          image,
        ],
        { timeout: 60_000 },
      );
      await this.mount(id);
      for (const dir of ['workspace', 'home']) {
        const folder = path.join(this.mountPointOf(id), dir);
        await fs.mkdir(folder, { mode: 0o755 });
        await fs.chown(folder, OWNER.uid, OWNER.gid);
      }
    } catch (err) {
      await this.release(id).catch(() => undefined);
      throw err;
    }
    return this.diskOf(id);
  }

  /** The disk with this id, mounted again if the host lost its mount (a reboot); undefined when its image is gone. */
  async ensureMounted(id: string): Promise<SandboxDisk | undefined> {
    if (!isDiskId(id) || !existsSync(this.imageOf(id))) return undefined;
    if (!isMountPoint(this.mountPointOf(id))) await this.mount(id);
    return this.diskOf(id);
  }

  /** Unmounts the disk, detaches its loop device and deletes its image; one already gone is fine. */
  async release(id: string): Promise<void> {
    if (!isDiskId(id)) return;
    const mountPoint = this.mountPointOf(id);
    const image = this.imageOf(id);
    for (let attempt = 0; isMountPoint(mountPoint) && attempt < 5; attempt++) {
      // A container's mount namespace may let go a moment after its removal; then detach lazily.
      const lazy = attempt >= 3 ? ['-l'] : [];
      await run('umount', [...lazy, mountPoint], { timeout: 30_000 }).catch(
        () => new Promise((r) => setTimeout(r, 100 * (attempt + 1))),
      );
    }
    // `mount -o loop` sets autoclear; a device left attached (a lazy unmount, an old kernel) is detached here.
    for (const device of await loopDevicesOf(image))
      await run('losetup', ['-d', device], { timeout: 10_000 }).catch(() => undefined);
    await fs.rm(image, { force: true });
    await fs.rmdir(mountPoint).catch(() => undefined);
  }

  /**
   * The disks with an image under the root or a mount point under the mount root (one whose
   * data folder was deleted has only the latter), with their age, for a sweep.
   */
  async list(): Promise<{ id: string; ageMs: number }[]> {
    const disks = new Map<string, number>();
    for (const dir of [this.options.root, this.mountRoot]) {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const id = name.endsWith('.img') ? name.slice(0, -4) : name;
        if (!isDiskId(id)) continue;
        const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
        if (stat) disks.set(id, Math.min(disks.get(id) ?? Infinity, Date.now() - stat.mtimeMs));
      }
    }
    return [...disks].map(([id, ageMs]) => ({ id, ageMs }));
  }

  /** Releases the disks no container uses (inUse: the ids on containers), except ones made moments ago; returns their ids. */
  async sweep(inUse: Set<string>, graceMs = SWEEP_GRACE_MS): Promise<string[]> {
    const released: string[] = [];
    for (const disk of await this.list()) {
      if (inUse.has(disk.id) || disk.ageMs < graceMs) continue;
      await this.release(disk.id).catch(() => undefined);
      released.push(disk.id);
    }
    return released;
  }

  /** The image file of a disk. */
  imageOf(id: string): string {
    return path.join(this.options.root, `${id}.img`);
  }

  /** The host folder a disk is mounted on. */
  mountPointOf(id: string): string {
    return path.join(this.mountRoot, id);
  }

  private get mountRoot(): string {
    return this.options.mountRoot ?? DEFAULT_MOUNT_ROOT;
  }

  private diskOf(id: string): SandboxDisk {
    const mountPoint = this.mountPointOf(id);
    return {
      id,
      sizeBytes: this.options.sizeBytes,
      workspace: path.join(mountPoint, 'workspace'),
      home: path.join(mountPoint, 'home'),
    };
  }

  private async mount(id: string): Promise<void> {
    const mountPoint = this.mountPointOf(id);
    // Root-only while unmounted: the container's bind sources (its subfolders) then do not exist, so
    // a container can never start on the host's own disk in place of its fixed-size one.
    await fs.mkdir(this.mountRoot, { recursive: true, mode: 0o700 });
    await fs.mkdir(mountPoint, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    // noinit_itable: the file is fresh and sparse, its inode tables read as zeros; zeroing them would allocate host disk.
    await run('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev,noatime,noinit_itable', this.imageOf(id), mountPoint], {
      timeout: 30_000,
    });
  }
}

/** True for an id SandboxDisks made (and so for a safe path segment). */
export function isDiskId(id: string): boolean {
  return /^d[a-z0-9]{8,30}$/.test(id);
}

/** True when `dir` is a mount point in this process's mount namespace. */
function isMountPoint(dir: string): boolean {
  const escaped = dir.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === escaped);
}

/** Loop devices backed by this file. */
async function loopDevicesOf(image: string): Promise<string[]> {
  try {
    const { stdout } = await run('losetup', ['-j', image, '-O', 'NAME', '-n'], { timeout: 10_000 });
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('/dev/'));
  } catch {
    return [];
  }
}

/**
 * Whether this process can give sandboxes fixed-size disks under `root`:
 * root, a local engine, loop devices, mkfs.ext4, and a trial disk that mounts.
 */
export async function probeSandboxDisks(
  root: string,
  engine: { local: boolean },
  mountRoot?: string,
): Promise<DiskSupport> {
  if (!engine.local)
    return {
      ok: false,
      reason: 'the Docker engine is not on this machine (DOCKER_HOST), so it cannot mount a disk made here',
    };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'the sandbox worker does not run as root (loop devices need it)' };
  if (!existsSync('/dev/loop-control')) return { ok: false, reason: 'no loop devices (/dev/loop-control is missing)' };
  if (!sameMountNamespaceAsEngine())
    return { ok: false, reason: 'the Docker engine runs in another mount namespace and would not see the disks' };
  const trial = new SandboxDisks({ root, mountRoot, sizeBytes: MIN_DISK_BYTES });
  let disk: SandboxDisk | undefined;
  try {
    disk = await trial.create();
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      return {
        ok: false,
        reason: `${e.path ?? 'a tool'} is missing (mkfs.ext4, mount and losetup are needed: apt-get install e2fsprogs mount)`,
      };
    return { ok: false, reason: `a trial disk did not mount: ${(e.stderr || e.message).trim().split('\n')[0]}` };
  } finally {
    if (disk) await trial.release(disk.id).catch(() => undefined);
  }
}

/** False only when the engine's pid is known and its mount namespace differs from ours. */
function sameMountNamespaceAsEngine(): boolean {
  try {
    const pid = readFileSync('/var/run/docker.pid', 'utf8').trim();
    return readlinkSync(`/proc/${pid}/ns/mnt`) === readlinkSync('/proc/self/ns/mnt');
  } catch {
    return true;
  }
}
