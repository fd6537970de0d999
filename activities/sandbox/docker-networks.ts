/**
 * Docker networks of a goal's sandbox: the setup network (a bridge with a
 * route out, only while the setup script runs, from which the host's own
 * addresses are refused) and isolation afterwards (every network
 * disconnected: only loopback is left). Networks are named from the
 * container, labelled as drydock's, and removed with the sandbox.
 */
import { createHash } from 'crypto';
import { failure } from '../../workflows/failures';
import Dockerode from 'dockerode';
import { MANAGED_LABEL } from './docker-sandbox';
import { blockHostFrom, unblockHostFrom } from './host-firewall';

/** The network a sandbox uses during its setup phase. */
export function setupNetworkName(containerName: string): string {
  return `drydock-setup-${createHash('sha256').update(containerName).digest('hex').slice(0, 12)}`;
}

/** The host-side bridge of a setup network (at most 15 characters, a Linux interface name). */
export function setupBridgeName(containerName: string): string {
  return `ddset${createHash('sha256').update(containerName).digest('hex').slice(0, 10)}`;
}

/** Label of a network whose bridge has the host firewall rule; its value is the bridge, whose rule goes with the network. */
const HOST_BLOCKED_LABEL = 'drydock.host-blocked';
/** The engine's option that names a bridge network's interface. */
const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** Options of ensureNetwork. */
export interface NetworkOptions {
  /** No route out (Docker's internal network). */
  internal?: boolean;
  labels?: Record<string, string>;
  /** The host-side interface name (at most 15 characters). */
  bridge?: string;
  /** Refuse every packet from the bridge to the host's own addresses (host-firewall.ts), from before the network exists until remove(). Needs `bridge`. */
  blockHost?: boolean;
}

/** The HTTP status an engine error carries, if any. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Network operations on a goal's container. */
export class DockerNetworks {
  constructor(private readonly docker: Dockerode = new Dockerode()) {}

  /** The engine these networks live on (setup-hygiene.ts runs its engine execs through it). */
  get engine(): Dockerode {
    return this.docker;
  }

  /**
   * Creates the network (or finds it); returns its id. With `blockHost` the
   * host firewall rule is in place before the network exists; when it cannot
   * be set, this throws and creates nothing.
   */
  async ensureNetwork(name: string, options: NetworkOptions = {}): Promise<string> {
    if (options.blockHost) {
      if (!options.bridge) throw new Error(`network ${name}: blockHost needs a bridge name`);
      await blockHostFrom(options.bridge);
    }
    try {
      const found = (await this.docker.getNetwork(name).inspect()) as { Id: string; Options?: Record<string, string> };
      if (!options.bridge || found.Options?.[BRIDGE_NAME_OPTION] === options.bridge) return found.Id;
      // Made without its bridge (by an older worker): the host rule would not cover it, so it is made again.
      await this.remove(name);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    try {
      const network = await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Internal: options.internal ?? false,
        CheckDuplicate: true,
        Labels: {
          ...options.labels,
          [MANAGED_LABEL]: 'true',
          ...(options.blockHost && options.bridge ? { [HOST_BLOCKED_LABEL]: options.bridge } : {}),
        },
        ...(options.bridge ? { Options: { [BRIDGE_NAME_OPTION]: options.bridge } } : {}),
      });
      return network.id;
    } catch (err) {
      if (statusOf(err) === 409) return (await this.docker.getNetwork(name).inspect()).Id as string;
      throw err;
    }
  }

  /**
   * Creates (or finds) the setup network of a sandbox: a bridge with a route
   * out from which the host's own addresses are refused. Without the host
   * rule (no root or no iptables) the setup phase is refused, not left open.
   */
  async ensureSetupNetwork(containerName: string, labels: Record<string, string> = {}): Promise<string> {
    const name = setupNetworkName(containerName);
    const bridge = setupBridgeName(containerName);
    try {
      await blockHostFrom(bridge);
    } catch (err) {
      throw failure(
        'SetupNotSupported',
        `${(err as Error).message}; a setup phase needs the sandbox worker to run as root with iptables`,
      );
    }
    await this.ensureNetwork(name, { labels, bridge, blockHost: true });
    return name;
  }

  /** Takes the container off `none` and onto this network (already connected is fine). */
  async connect(containerId: string, network: string, aliases: string[] = []): Promise<void> {
    const info = await this.docker.getContainer(containerId).inspect();
    const attached = Object.keys(info.NetworkSettings.Networks ?? {});
    if (attached.includes(network)) return;
    if (attached.includes('none'))
      await this.docker.getNetwork('none').disconnect({ Container: containerId }).catch(ignoreGone);
    await this.docker.getNetwork(network).connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
  }

  /** Disconnects the container from every network except `keep`; returns the networks still attached. */
  async isolate(containerId: string, keep: string[] = []): Promise<string[]> {
    const info = await this.docker.getContainer(containerId).inspect();
    for (const name of Object.keys(info.NetworkSettings.Networks ?? {})) {
      if (name === 'none' || keep.includes(name)) continue;
      await this.docker.getNetwork(name).disconnect({ Container: containerId, Force: true }).catch(ignoreGone);
    }
    const after = await this.docker.getContainer(containerId).inspect();
    return Object.keys(after.NetworkSettings.Networks ?? {}).filter((n) => n !== 'none');
  }

  /** True when the network exists and is internal (no route out). */
  async isInternal(name: string): Promise<boolean> {
    try {
      return (await this.docker.getNetwork(name).inspect()).Internal === true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /** Removes a network, disconnecting whatever is still on it, then its bridge's host firewall rule; one already gone is fine. */
  async remove(name: string): Promise<void> {
    const network = this.docker.getNetwork(name);
    let info: {
      Containers?: Record<string, unknown>;
      Labels?: Record<string, string>;
      Options?: Record<string, string>;
    };
    try {
      info = (await network.inspect()) as typeof info;
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw err;
    }
    for (const id of Object.keys(info.Containers ?? {}))
      await network.disconnect({ Container: id, Force: true }).catch(ignoreGone);
    await network.remove().catch(ignoreGone);
    // The rule goes only once the network is gone: nothing can use the bridge any more.
    const blocked = info.Labels?.[HOST_BLOCKED_LABEL];
    if (blocked && blocked === info.Options?.[BRIDGE_NAME_OPTION] && !(await this.exists(name)))
      await unblockHostFrom(blocked);
  }

  /** True when a network of this name exists. */
  private async exists(name: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }
}

function ignoreGone(err: unknown): void {
  if (statusOf(err) === 404 || statusOf(err) === 409) return;
  // A disconnect of an endpoint that is already gone answers 500 on some engines.
  if (/is not connected|not found|No such/i.test(String((err as Error)?.message))) return;
  throw err;
}
