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

/** The rule that lets a bridge reach one TCP port of one host address (the egress proxy), above the bridge's REJECT. */
function proxyRule(bridge: string, address: string, port: number): string[] {
  return ['INPUT', '-i', bridge, '-p', 'tcp', '-d', address, '--dport', String(port), '-j', 'ACCEPT'];
}

/** Lets `bridge` reach `address:port` on the host (and nothing else blockHostFrom refuses); idempotent; throws when it cannot be set. */
export async function allowProxyFrom(bridge: string, address: string, port: number): Promise<void> {
  const rule = proxyRule(bridge, address, port);
  if ((await iptables(['-C', ...rule])).ok) return;
  const added = await iptables(['-I', ...rule]);
  if (!added.ok) throw new Error(`cannot open the egress proxy to ${bridge} (iptables: ${added.stderr.trim()})`);
}

/**
 * Refuses, at once, every packet from `bridge` that the host would forward (a
 * direct connection out); idempotent. The rule goes in DOCKER-USER, the chain
 * the engine keeps first in FORWARD whenever it creates a network (a rule at
 * the top of FORWARD itself would be pushed below the engine's DROPs).
 */
export async function rejectForwardFrom(bridge: string): Promise<void> {
  const chain = (await iptables(['-S', 'DOCKER-USER'])).ok ? 'DOCKER-USER' : 'FORWARD';
  const rule = [chain, '-i', bridge, '-j', 'REJECT'];
  if ((await iptables(['-C', ...rule])).ok) return;
  const added = await iptables(['-I', ...rule]);
  if (!added.ok) throw new Error(`cannot refuse forwarding from ${bridge} (iptables: ${added.stderr.trim()})`);
}

/** Removes the rules allowProxyFrom and rejectForwardFrom set; missing rules are fine. */
export async function removeEgressRules(bridge: string, address: string, port: number): Promise<void> {
  const rules = [
    proxyRule(bridge, address, port),
    ['DOCKER-USER', '-i', bridge, '-j', 'REJECT'],
    ['FORWARD', '-i', bridge, '-j', 'REJECT'],
  ];
  for (const rule of rules) {
    while ((await iptables(['-C', ...rule])).ok) {
      if (!(await iptables(['-D', ...rule])).ok) break;
    }
  }
}
