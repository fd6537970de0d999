/**
 * Service sidecars: containers an environment declares beside the sandbox
 * (`.drydock/environment.json` → `services`, validated in activities/environment: a database, a cache, an HTTP
 * stub), on a per-goal internal Docker network with no route out, reachable
 * from the sandbox by name in the agent phase, and removed with the sandbox.
 * A service is as hardened and limited as the sandbox (the same sandbox policy:
 * read-only root, drydock's seccomp profile, the operator's limits and runtime),
 * and runs only an image the policy allows (DRYDOCK_SERVICE_IMAGES; the sandbox
 * image always).
 */
import { createHash } from 'crypto';
import Dockerode from 'dockerode';
import { failure } from '../../workflows/failures';
import { hostConfigFor, MANAGED_LABEL, SANDBOX_USER } from './container-options';
import { defaultSandboxPolicy, SANDBOX_HOME, type SandboxPolicy } from './sandbox-policy';
import type { DockerNetworks } from './docker-networks';
import { blockHostFrom, unblockHostFrom } from './host-firewall';

/** One service as the environment file declares it. */
export interface ServiceSpec {
  /** The host name the sandbox reaches it by. */
  name: string;
  /** The command that runs it (bash -lc), in the foreground. */
  command: string;
  /** A local image; the sandbox image when absent. No registry is pulled from. */
  image?: string;
  /** A command (run in the service) that exits 0 once the service is ready. */
  ready?: string;
}

/** Label of a service container: the sandbox container it belongs to. */
export const SIDECAR_OF_LABEL = 'drydock.sidecar-of';

/** The internal network a sandbox and its services share. */
export function servicesNetworkName(containerName: string): string {
  return `drydock-svc-${createHash('sha256').update(containerName).digest('hex').slice(0, 12)}`;
}

/** The host-side bridge of a services network (at most 15 characters, a Linux interface name). */
export function servicesBridgeName(containerName: string): string {
  return `ddsvc${createHash('sha256').update(containerName).digest('hex').slice(0, 10)}`;
}

/** What callers pass to SandboxServices. */
export interface SandboxServicesOptions {
  /** The operator's sandbox policy (limits, runtime, seccomp profile, allowed images); drydock's defaults when absent. */
  policy?: SandboxPolicy;
}

/** `postgres` → `postgres:latest`; a tag or digest stays as written. */
export function normalizeImageName(image: string): string {
  if (image.includes('@')) return image;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? image : `${image}:latest`;
}

/** Throws a hopeless failure naming the first service whose image the operator does not allow. */
export function assertServiceImagesAllowed(
  services: ServiceSpec[],
  sandboxImage: string,
  allowedImages: string[] = [],
): void {
  const allowed = new Set([sandboxImage, ...allowedImages].map(normalizeImageName));
  for (const service of services) {
    const image = service.image ?? sandboxImage;
    if (allowed.has(normalizeImageName(image))) continue;
    throw failure(
      'ServiceImageNotAllowed',
      `service ${service.name}: image ${image} is not allowed on this sandbox host; its operator allows ${[...allowed].join(', ')} (add more with DRYDOCK_SERVICE_IMAGES)`,
    );
  }
}

/** The container of one service: its own command and network, the sandbox policy's hardening and limits (container-options.ts). */
export function serviceContainerOptions(o: {
  name: string;
  image: string;
  service: ServiceSpec;
  network: string;
  labels: Record<string, string>;
  policy: SandboxPolicy;
}): Dockerode.ContainerCreateOptions {
  return {
    name: o.name,
    Image: o.image,
    Cmd: ['bash', '-lc', o.service.command],
    User: SANDBOX_USER,
    WorkingDir: '/tmp',
    Env: [`HOME=${SANDBOX_HOME}`],
    Labels: { ...o.labels, [MANAGED_LABEL]: 'true' },
    HostConfig: hostConfigFor(o.policy, { kind: 'service', network: o.network }),
    NetworkingConfig: { EndpointsConfig: { [o.network]: { Aliases: [o.service.name] } } },
  };
}

/** Starts and removes a sandbox's services. */
export class SandboxServices {
  private readonly policy: SandboxPolicy;

  constructor(
    private readonly docker: Dockerode,
    private readonly networks: DockerNetworks,
    options: SandboxServicesOptions = {},
  ) {
    this.policy = options.policy ?? defaultSandboxPolicy();
  }

  /** Starts every service (or finds it running), waits until each is ready, and attaches the sandbox. */
  async start(o: {
    containerId: string;
    containerName: string;
    goalId: string;
    image: string;
    services: ServiceSpec[];
  }): Promise<string[]> {
    if (o.services.length === 0) return [];
    // Before anything is created: a refused image leaves nothing behind.
    assertServiceImagesAllowed(o.services, o.image, this.policy.services.images);
    const network = servicesNetworkName(o.containerName);
    await this.networks.ensureNetwork(network, {
      internal: this.policy.network.services === 'internal',
      labels: { 'drydock.goal': o.goalId },
      bridge: servicesBridgeName(o.containerName),
    });
    try {
      await blockHostFrom(servicesBridgeName(o.containerName));
    } catch (err) {
      await this.networks.remove(network);
      throw failure(
        'ServicesNotSupported',
        `${(err as Error).message}; services need the sandbox worker to run as root with iptables`,
      );
    }
    for (const service of o.services) {
      const name = `${o.containerName}-svc-${service.name}`;
      let container = this.docker.getContainer(name);
      try {
        await container.inspect();
      } catch {
        container = await this.docker.createContainer(
          serviceContainerOptions({
            name,
            image: service.image ?? o.image,
            service,
            network,
            labels: { [SIDECAR_OF_LABEL]: o.containerName, 'drydock.goal': o.goalId },
            policy: this.policy,
          }),
        );
      }
      await container.start().catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err;
      });
      if (service.ready) await this.waitReady(container, service);
    }
    await this.networks.connect(o.containerId, network);
    return o.services.map((s) => s.name);
  }

  /** Removes the services of a sandbox and their network; ones already gone are fine. */
  async remove(containerName: string): Promise<void> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${SIDECAR_OF_LABEL}=${containerName}`] },
    });
    await Promise.all(
      list.map((c) =>
        this.docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
    await this.networks.remove(servicesNetworkName(containerName));
    await unblockHostFrom(servicesBridgeName(containerName));
  }

  private async waitReady(container: Dockerode.Container, service: ServiceSpec): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const exec = await container.exec({
        Cmd: ['bash', '-lc', service.ready!],
        User: SANDBOX_USER,
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      await new Promise<void>((resolve) => {
        stream.on('end', () => resolve());
        stream.on('error', () => resolve());
        stream.resume();
      });
      const { ExitCode } = await exec.inspect();
      if (ExitCode === 0) return;
      if (Date.now() > deadline) {
        throw failure(
          'ServiceNotReady',
          `service ${service.name} was not ready within 60 s (its ready command exits ${ExitCode})`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
