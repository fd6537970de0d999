/**
 * A goal's way out in the agent phase when its internet policy is an
 * allowlist: an internal Docker network (no route out) whose host side is
 * refused to the sandbox except for one port on its gateway, where the
 * sandbox worker runs the egress proxy (egress-proxy.ts); everything the host
 * would forward from that bridge (a direct connection, a DNS query through
 * Docker's resolver) is rejected at once. The policy is kept in the network's
 * label, so a restarted worker opens the proxy again on the first tool call.
 * Each request is appended to `goals/<id>/egress/<container>.jsonl`.
 */
import { createHash } from 'crypto';
import Dockerode from 'dockerode';
import type { EffectiveInternet } from '../../workflows/internet-policy';
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import type { DockerNetworks } from './docker-networks';
import { startEgressProxy, type EgressLogEntry, type EgressProxy } from './egress-proxy';
import { allowProxyFrom, rejectForwardFrom, removeEgressRules } from './host-firewall';

/** The port the proxy listens on, on each egress network's own gateway address. */
export const EGRESS_PROXY_PORT = 3128;

/** Label of an egress network: the policy (JSON) its proxy enforces. */
const POLICY_LABEL = 'drydock.egress-policy';
/** Label of an egress network: the goal whose log it writes. */
const GOAL_LABEL = 'drydock.goal';

/** The internal network through which a sandbox reaches its egress proxy. */
export function egressNetworkName(containerName: string): string {
  return `drydock-egress-${createHash('sha256').update(containerName).digest('hex').slice(0, 12)}`;
}

/** The host-side bridge of an egress network (at most 15 characters). */
export function egressBridgeName(containerName: string): string {
  return `ddegr${createHash('sha256').update(containerName).digest('hex').slice(0, 10)}`;
}

/** Store key of the request log of one sandbox's proxy. */
export function egressLogKey(goalId: string, containerName: string): string {
  return `${goalPrefix(goalId)}/egress/${containerName}.jsonl`;
}

/** Store prefix of every egress log of a goal. */
export function egressLogPrefix(goalId: string): string {
  return `${goalPrefix(goalId)}/egress/`;
}

/** What EgressGateways takes. */
export interface EgressGatewaysOptions {
  docker: Dockerode;
  networks: DockerNetworks;
  store: ArtifactStore;
  /** The proxy's port (EGRESS_PROXY_PORT by default). */
  port?: number;
}

interface OpenProxy {
  proxy: EgressProxy;
  gateway: string;
  lines: string[];
  writing: Promise<void>;
}

/** The egress networks and proxies of this sandbox worker's containers. */
export class EgressGateways {
  private readonly proxies = new Map<string, Promise<OpenProxy>>();
  private readonly port: number;

  constructor(private readonly o: EgressGatewaysOptions) {
    this.port = o.port ?? EGRESS_PROXY_PORT;
  }

  /** Creates the container's egress network with its host rules and starts its proxy (or finds them); returns the network. */
  async open(o: { containerName: string; goalId: string; policy: EffectiveInternet }): Promise<string> {
    const name = egressNetworkName(o.containerName);
    const bridge = egressBridgeName(o.containerName);
    await this.o.networks.ensureNetwork(name, {
      internal: true,
      bridge,
      blockHost: true,
      labels: { [GOAL_LABEL]: o.goalId, [POLICY_LABEL]: JSON.stringify(o.policy) },
    });
    await this.proxyOf(o.containerName);
    return name;
  }

  /** Attaches the container to its egress network when it has one; returns the network's name, or undefined. */
  async connect(containerId: string, containerName: string): Promise<string | undefined> {
    const name = egressNetworkName(containerName);
    if (!(await this.labelsOf(name))) return undefined;
    await this.proxyOf(containerName);
    await this.o.networks.connect(containerId, name);
    return name;
  }

  /** The variables that send the container's commands through its proxy; none when it has no egress network. */
  async proxyEnv(containerName: string): Promise<Record<string, string>> {
    if (!this.proxies.has(containerName) && !(await this.labelsOf(egressNetworkName(containerName)))) return {};
    const open = await this.proxyOf(containerName);
    const url = `http://${open.gateway}:${open.proxy.port}`;
    return {
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
    };
  }

  /** Stops the container's proxy (its log written), removes its network and host rules; none is fine. */
  async close(containerName: string): Promise<void> {
    const name = egressNetworkName(containerName);
    const pending = this.proxies.get(containerName);
    this.proxies.delete(containerName);
    let gateway: string | undefined;
    if (pending) {
      const open = await pending.catch(() => undefined);
      if (open) {
        await open.proxy.close();
        await open.writing;
        gateway = open.gateway;
      }
    }
    gateway ??= await this.gatewayOf(name).catch(() => undefined);
    await this.o.networks.remove(name);
    if (gateway) await removeEgressRules(egressBridgeName(containerName), gateway, this.port);
  }

  /** Stops every proxy of this worker (networks stay: a worker started later serves them again). */
  async stopAll(): Promise<void> {
    const all = [...this.proxies.values()];
    this.proxies.clear();
    for (const pending of all) {
      const open = await pending.catch(() => undefined);
      if (open) {
        await open.proxy.close();
        await open.writing;
      }
    }
  }

  /** The running proxy of a container, started from its network's label when this worker has none. */
  private proxyOf(containerName: string): Promise<OpenProxy> {
    let pending = this.proxies.get(containerName);
    if (!pending) {
      pending = this.start(containerName);
      this.proxies.set(containerName, pending);
      pending.catch(() => this.proxies.delete(containerName));
    }
    return pending;
  }

  private async start(containerName: string): Promise<OpenProxy> {
    const name = egressNetworkName(containerName);
    const labels = await this.labelsOf(name);
    const policyText = labels?.[POLICY_LABEL];
    const goalId = labels?.[GOAL_LABEL];
    if (!policyText || !goalId) throw new Error(`egress network ${name} is missing or carries no policy`);
    const policy = JSON.parse(policyText) as EffectiveInternet;
    const gateway = await this.gatewayOf(name);
    const bridge = egressBridgeName(containerName);
    await allowProxyFrom(bridge, gateway, this.port);
    await rejectForwardFrom(bridge);
    const key = egressLogKey(goalId, containerName);
    // A restarted worker appends to the log its predecessor wrote.
    const before = (await this.o.store.has(key)) ? (await this.o.store.get(key)).toString('utf8') : '';
    const open: OpenProxy = {
      gateway,
      lines: before.split('\n').filter(Boolean),
      writing: Promise.resolve(),
      proxy: undefined as unknown as EgressProxy,
    };
    const write = () => {
      open.writing = open.writing
        .then(() => this.o.store.put(key, open.lines.map((l) => `${l}\n`).join('')))
        .catch(() => undefined);
    };
    open.proxy = await startEgressProxy({
      host: gateway,
      port: this.port,
      policy,
      onRequest: (entry: EgressLogEntry) => {
        open.lines.push(JSON.stringify(entry));
        write();
      },
    });
    // The log exists from the start: a goal whose agent phase sent nothing still says so.
    write();
    return open;
  }

  private async labelsOf(name: string): Promise<Record<string, string> | undefined> {
    try {
      const info = (await this.o.docker.getNetwork(name).inspect()) as { Labels?: Record<string, string> };
      return info.Labels ?? {};
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  private async gatewayOf(name: string): Promise<string> {
    const info = (await this.o.docker.getNetwork(name).inspect()) as {
      IPAM?: { Config?: Array<{ Gateway?: string }> };
    };
    const gateway = info.IPAM?.Config?.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
    if (!gateway) throw new Error(`egress network ${name} has no IPv4 gateway`);
    return gateway;
  }
}
