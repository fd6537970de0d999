/**
 * Docker networks of a goal's sandbox: the setup network (a bridge with a
 * route out, only while the setup script runs) and isolation afterwards (every
 * network disconnected: only loopback is left). Networks are named from the
 * container, labelled as drydock's, and removed with the sandbox.
 */
import { createHash } from 'crypto';
import Dockerode from 'dockerode';
import { MANAGED_LABEL } from './docker-sandbox';

/** The network a sandbox uses during its setup phase. */
export function setupNetworkName(containerName: string): string {
  return `drydock-setup-${createHash('sha256').update(containerName).digest('hex').slice(0, 12)}`;
}

/** The HTTP status an engine error carries, if any. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Network operations on a goal's container. */
export class DockerNetworks {
  constructor(private readonly docker: Dockerode = new Dockerode()) {}

  /** Creates the network (or finds it); returns its id. */
  async ensureNetwork(name: string, options: { internal?: boolean; labels?: Record<string, string>; bridge?: string } = {}): Promise<string> {
    try {
      return (await this.docker.getNetwork(name).inspect()).Id as string;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    try {
      const network = await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Internal: options.internal ?? false,
        CheckDuplicate: true,
        Labels: { ...options.labels, [MANAGED_LABEL]: 'true' },
        ...(options.bridge ? { Options: { 'com.docker.network.bridge.name': options.bridge } } : {}),
      });
      return network.id;
    } catch (err) {
      if (statusOf(err) === 409) return (await this.docker.getNetwork(name).inspect()).Id as string;
      throw err;
    }
  }

  /** Takes the container off `none` and onto this network (already connected is fine). */
  async connect(containerId: string, network: string, aliases: string[] = []): Promise<void> {
    const info = await this.docker.getContainer(containerId).inspect();
    const attached = Object.keys(info.NetworkSettings.Networks ?? {});
    if (attached.includes(network)) return;
    if (attached.includes('none')) await this.docker.getNetwork('none').disconnect({ Container: containerId }).catch(ignoreGone);
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

  /** Removes a network, disconnecting whatever is still on it; one already gone is fine. */
  async remove(name: string): Promise<void> {
    const network = this.docker.getNetwork(name);
    let info: { Containers?: Record<string, unknown> };
    try {
      info = (await network.inspect()) as { Containers?: Record<string, unknown> };
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw err;
    }
    for (const id of Object.keys(info.Containers ?? {})) await network.disconnect({ Container: id, Force: true }).catch(ignoreGone);
    await network.remove().catch(ignoreGone);
  }
}

function ignoreGone(err: unknown): void {
  if (statusOf(err) === 404 || statusOf(err) === 409) return;
  // A disconnect of an endpoint that is already gone answers 500 on some engines.
  if (/is not connected|not found|No such/i.test(String((err as Error)?.message))) return;
  throw err;
}
