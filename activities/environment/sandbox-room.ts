/**
 * Whether a sandbox ran out of room, as the host sees it: the free space of the
 * host folder mounted as the sandbox's home (its fixed-size disk, shared with
 * /workspace; or, with DRYDOCK_SANDBOX_DISK=off, the engine's volume on the
 * host's disk), measured with statfs on the host, never read from the sandbox.
 */
import * as fs from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { DISK_BYTES_LABEL } from '../sandbox/sandbox-disk';
import { SANDBOX_HOME } from '../sandbox/sandbox-policy';

/** Free bytes below which a disk counts as full (ext4 keeps a little back for metadata). */
const FULL_BELOW_BYTES = 8 * 1024 ** 2;

/** A message naming the limit and its knob when the sandbox's home is full; undefined when it has room or cannot be measured. */
export async function outOfRoom(docker: Dockerode, containerId: string): Promise<string | undefined> {
  const info = await docker.getContainer(containerId).inspect();
  const home = info.Mounts.find((m) => m.Destination === SANDBOX_HOME);
  if (!home?.Source) return undefined;
  const stats = await fs.statfs(home.Source).catch(() => undefined);
  if (!stats || stats.bavail * stats.bsize >= FULL_BELOW_BYTES) return undefined;
  const size = Number(info.Config.Labels?.[DISK_BYTES_LABEL]);
  return Number.isFinite(size) && size > 0
    ? `the sandbox's disk is full: /workspace and ${SANDBOX_HOME} (package caches included) share ${formatBytes(size)} (DRYDOCK_SANDBOX_DISK; raise it for this repository's setup)`
    : `the host's disk under the sandbox's ${SANDBOX_HOME} volume is full (DRYDOCK_SANDBOX_DISK=off: not size-limited per sandbox)`;
}

/** 10737418240 → "10 GiB", 268435456 → "256 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB`;
  return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`;
}
