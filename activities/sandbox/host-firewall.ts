/**
 * The host's side of an internal Docker network: Docker keeps an internal
 * network from routing out, but the host itself still answers on every one of
 * its addresses (the docker0 gateway included). A REJECT rule on the network's
 * bridge in the host's INPUT chain closes that. Needs iptables and root, like
 * the Docker engine; without them services are refused rather than left open.
 */
import { execFile } from 'child_process';

function iptables(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile('iptables', ['-w', '5', ...args], { timeout: 15_000 }, (err, _stdout, stderr) =>
      resolve({ ok: !err, stderr: String(stderr || (err?.message ?? '')) }),
    );
  });
}

/** Refuses every packet from `bridge` to the host at once (REJECT, so connections fail fast; idempotent); throws when the rule cannot be set. */
export async function blockHostFrom(bridge: string): Promise<void> {
  const rule = ['INPUT', '-i', bridge, '-j', 'REJECT'];
  if ((await iptables(['-C', ...rule])).ok) return;
  const added = await iptables(['-I', ...rule]);
  if (!added.ok)
    throw new Error(
      `cannot keep bridge ${bridge} from reaching the host (iptables -I ${rule.join(' ')}: ${added.stderr.trim()})`,
    );
}

/** Removes the rule blockHostFrom set; a missing rule is fine. */
export async function unblockHostFrom(bridge: string): Promise<void> {
  const rule = ['INPUT', '-i', bridge, '-j', 'REJECT'];
  while ((await iptables(['-C', ...rule])).ok) {
    if (!(await iptables(['-D', ...rule])).ok) return;
  }
}
