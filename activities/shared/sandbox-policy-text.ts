/**
 * A sandbox's limits and policy in words, one line each: what `drydock status`
 * and the PR body say about the sandbox a goal ran in. Plain functions over the
 * plain views in workflows/types.ts, for clients and activities alike.
 */
import type { SandboxLimitsView, SandboxPolicyView, WritablePathView } from '../../workflows/types';

/** One line naming a sandbox's applied limits: `memory 2 GiB (no swap), 2 CPUs, 512 processes, disk 10 GiB, runtime runc`. */
export function describeSandboxLimits(limits: SandboxLimitsView): string {
  return limitsText({ ...limits, swapBytes: 0 });
}

/**
 * One line naming what a policy isolates beyond its limits: network per phase, writable paths,
 * seccomp profile, service images, command runner.
 */
export function describeSandboxIsolation(policy: SandboxPolicyView): string {
  const images =
    policy.services.images.length === 0
      ? 'the sandbox image only'
      : ['the sandbox image', ...policy.services.images].join(', ');
  return [
    `network ${policy.network.agent} (setup: ${policy.network.setup.replace(/-/g, ' ')}; services: ${policy.network.services})`,
    `writable ${writableText(policy.writable)}`,
    `seccomp ${policy.seccompProfile}`,
    `service images: ${images}`,
    `command runner ${policy.commandRunner ? 'on' : 'off'}`,
  ].join(', ');
}

/** The whole policy in one line: its limits, then what it isolates. */
export function describeSandboxPolicy(policy: SandboxPolicyView): string {
  return `${limitsText({ ...policy, runtime: policy.runtime ?? 'engine default' })}; ${describeSandboxIsolation(policy)}`;
}

function limitsText(l: {
  memoryBytes: number;
  swapBytes: number;
  cpus: number;
  pidsLimit: number;
  diskBytes: number | null;
  runtime: string;
}): string {
  const swap = l.swapBytes === 0 ? 'no swap' : `swap ${formatBytes(l.swapBytes)}`;
  const cpus = `${Number(l.cpus.toFixed(2))} CPU${l.cpus === 1 ? '' : 's'}`;
  const disk = l.diskBytes === null ? 'disk not size-limited' : `disk ${formatBytes(l.diskBytes)}`;
  return `memory ${formatBytes(l.memoryBytes)} (${swap}), ${cpus}, ${l.pidsLimit} processes, ${disk}, runtime ${l.runtime}`;
}

/** `/workspace + /home/drydock (disk 10 GiB), /tmp (tmpfs 1 GiB)`: neighbours on the same storage named together. */
function writableText(paths: WritablePathView[]): string {
  const groups: { paths: string[]; storage: string }[] = [];
  for (const w of paths) {
    const storage =
      w.storage === 'volume'
        ? 'volume, not size-limited'
        : `${w.storage} ${w.sizeBytes === null ? 'not size-limited' : formatBytes(w.sizeBytes)}`;
    const last = groups[groups.length - 1];
    if (last && last.storage === storage) last.paths.push(w.path);
    else groups.push({ paths: [w.path], storage });
  }
  return groups.map((g) => `${g.paths.join(' + ')} (${g.storage})`).join(', ');
}

/** 2147483648 → `2 GiB`, 536870912 → `512 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}
