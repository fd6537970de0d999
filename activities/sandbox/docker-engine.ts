/** Which Docker engine a process talks to: DOCKER_HOST, or the local socket. */
import Dockerode from 'dockerode';

/** A dockerode client for DOCKER_HOST (unix://, tcp://, http(s)://), or the local socket when unset. */
export function dockerClientFor(dockerHost: string | undefined): Dockerode {
  if (!dockerHost) return new Dockerode();
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Dockerode({ socketPath: url.pathname });
  return new Dockerode({
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}

/** True when the engine runs on this machine (its local socket), so that it sees what this process mounts. */
export function isLocalDockerEngine(dockerHost: string | undefined): boolean {
  return !dockerHost || dockerHost.startsWith('unix://');
}
