/**
 * The agent phase's egress proxy: a small HTTP proxy (Node's http and net, no
 * dependency) that the sandbox worker runs on the host, listening only on the
 * gateway of a goal's internal egress network. `CONNECT host:443` opens a
 * tunnel (no TLS interception: the allowlist is checked on the CONNECT host);
 * plain http is forwarded with the method check. The proxy resolves names
 * itself; raw IP addresses, hosts off the list, ports other than 80/443 and
 * names that resolve to the host's loopback or link-local addresses are
 * refused at once with a 403 whose text names the policy. Every request is
 * reported (host, method, status, bytes).
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { domainMatches, type EffectiveInternet } from '../../workflows/internet-policy';
import { EGRESS_PRESETS } from './egress-presets';

/** One request through the proxy. */
export interface EgressLogEntry {
  /** ISO time the request arrived. */
  at: string;
  method: string;
  host: string;
  port: number;
  /** The status the sandbox saw (200 for an opened tunnel, 403 refused, 502 the upstream failed). */
  status: number;
  /** Bytes from the sandbox to the upstream. */
  bytesOut: number;
  /** Bytes from the upstream to the sandbox. */
  bytesIn: number;
  /** Why it was refused or failed. */
  reason?: string;
}

/** What startEgressProxy takes. */
export interface EgressProxyOptions {
  /** The address to listen on (the egress network's gateway). */
  host: string;
  /** 0: any free port. */
  port: number;
  policy: EffectiveInternet;
  onRequest(entry: EgressLogEntry): void;
  /** Milliseconds to wait for an upstream connection (default 10 s). */
  connectTimeoutMs?: number;
}

/** A running proxy. */
export interface EgressProxy {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** The ports a tunnel or a plain request may reach. */
const ALLOWED_PORTS: Record<'CONNECT' | 'http', number[]> = { CONNECT: [443], http: [80] };

/** True when every allowlist of the policy allows the host. */
export function hostAllowed(policy: EffectiveInternet, host: string): boolean {
  if (net.isIP(host.replace(/^\[|\]$/g, '')) !== 0) return false;
  return policy.lists.every((list) =>
    [...list.domains, ...list.presets.flatMap((p) => EGRESS_PRESETS[p])].some((entry) => domainMatches(host, entry)),
  );
}

/** The domains of the policy, short, for a refusal message. */
function allowedText(policy: EffectiveInternet): string {
  const first = policy.lists[0];
  if (!first) return 'nothing';
  const parts = [...first.domains, ...first.presets.map((p) => `the ${p} preset`)];
  const text = parts.slice(0, 8).join(', ') + (parts.length > 8 ? `, … (${parts.length - 8} more)` : '');
  return policy.lists.length > 1 ? `${text} (narrowed by the goal)` : text;
}

/** Why a request is refused before anything is dialled; undefined when it may go on. */
export function refusal(policy: EffectiveInternet, method: string, host: string, port: number): string | undefined {
  const kind = method === 'CONNECT' ? 'CONNECT' : 'http';
  if (net.isIP(host.replace(/^\[|\]$/g, '')) !== 0)
    return `drydock internet policy: ${host} is a raw IP address; the agent phase may reach only named hosts on its allowlist (${allowedText(policy)})`;
  if (!hostAllowed(policy, host))
    return `drydock internet policy: ${host} is not on this goal's allowlist (.drydock/environment.json → internet); allowed: ${allowedText(policy)}`;
  if (!ALLOWED_PORTS[kind].includes(port))
    return `drydock internet policy: port ${port} is refused; ${kind === 'CONNECT' ? 'https tunnels go to port 443' : 'plain http goes to port 80'}`;
  if (kind === 'http' && policy.methods && !policy.methods.includes(method))
    return `drydock internet policy: ${method} is refused; this goal may only ${policy.methods.join(', ')}`;
  return undefined;
}

/** True for addresses on the host itself or its link: never dialled whatever a name resolves to. */
function isLocalAddress(address: string): boolean {
  if (net.isIPv4(address))
    return /^(127\.|0\.|169\.254\.|22[4-9]\.|23\d\.|24\d\.|25[0-5]\.)/.test(address) || address === '255.255.255.255';
  const a = address.toLowerCase();
  if (a.startsWith('::ffff:')) return isLocalAddress(a.slice(7));
  return a === '::1' || a === '::' || a.startsWith('fe80:') || a.startsWith('ff');
}

/** The first address of a name that is not the host's own. */
async function resolvePublic(host: string): Promise<string> {
  const addresses = await lookup(host, { all: true });
  const usable = addresses.find((a) => !isLocalAddress(a.address));
  if (!usable) throw new Error(`${host} resolves only to local addresses`);
  return usable.address;
}

/** Starts the proxy; resolves once it listens. */
export async function startEgressProxy(o: EgressProxyOptions): Promise<EgressProxy> {
  const timeoutMs = o.connectTimeoutMs ?? 10_000;
  const report = (entry: Omit<EgressLogEntry, 'at'> & { at?: string }) => {
    try {
      o.onRequest({ at: entry.at ?? new Date().toISOString(), ...entry } as EgressLogEntry);
    } catch {
      // A log that cannot be written does not break the request.
    }
  };
  const server = http.createServer((req, res) => {
    const at = new Date().toISOString();
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      const text = 'drydock egress proxy: send absolute http:// URLs (or CONNECT host:443 for https)\n';
      res.writeHead(400, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
      report({ at, method, host: '', port: 0, status: 400, bytesOut: 0, bytesIn: 0, reason: 'not a proxy request' });
      return;
    }
    const host = url.hostname;
    const port = Number(url.port || 80);
    const refused = refusal(o.policy, method, host, port);
    if (refused) {
      const text = `${refused}\n`;
      res.statusMessage = 'Forbidden by drydock internet policy';
      res.writeHead(403, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
      report({ at, method, host, port, status: 403, bytesOut: 0, bytesIn: 0, reason: refused });
      req.resume();
      return;
    }
    let bytesOut = 0;
    let bytesIn = 0;
    req.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
    const fail = (err: Error) => {
      if (!res.headersSent) {
        const text = `drydock egress proxy: ${host} could not be reached: ${err.message}\n`;
        res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
      } else res.destroy();
      report({ at, method, host, port, status: 502, bytesOut, bytesIn, reason: err.message });
    };
    resolvePublic(host).then((address) => {
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      delete headers['proxy-authorization'];
      const upstream = http.request({
        host: address,
        port,
        method,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, host: url.host },
        timeout: timeoutMs,
      });
      upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
      upstream.on('error', fail);
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        answer.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
        answer.pipe(res);
        answer.on('end', () => report({ at, method, host, port, status: answer.statusCode ?? 0, bytesOut, bytesIn }));
      });
      req.pipe(upstream);
    }, fail);
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const at = new Date().toISOString();
    const target = req.url ?? '';
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(target);
    const host = match?.[1] ?? target;
    const port = Number(match?.[2] ?? 0);
    const refused = match
      ? refusal(o.policy, 'CONNECT', host, port)
      : `drydock egress proxy: bad CONNECT target ${target}`;
    client.on('error', () => undefined);
    if (refused) {
      const text = `${refused}\n`;
      client.end(
        `HTTP/1.1 403 Forbidden by drydock internet policy\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
      report({ at, method: 'CONNECT', host, port, status: 403, bytesOut: 0, bytesIn: 0, reason: refused });
      return;
    }
    let bytesOut = head.length;
    let bytesIn = 0;
    let opened = false;
    let reported = false;
    const finish = (reason?: string) => {
      if (reported) return;
      reported = true;
      report({ at, method: 'CONNECT', host, port, status: opened ? 200 : 502, bytesOut, bytesIn, reason });
    };
    resolvePublic(host).then(
      (address) => {
        const upstream = net.connect({ host: address, port });
        const timer = setTimeout(() => upstream.destroy(new Error('timed out')), timeoutMs);
        upstream.on('connect', () => {
          clearTimeout(timer);
          opened = true;
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length > 0) upstream.write(head);
          client.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
          upstream.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
          client.pipe(upstream);
          upstream.pipe(client);
        });
        upstream.on('error', (err) => {
          clearTimeout(timer);
          if (!opened) {
            const text = `drydock egress proxy: ${host} could not be reached: ${err.message}\n`;
            client.end(
              `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
            );
          } else client.destroy();
          finish(err.message);
        });
        upstream.on('close', () => {
          client.destroy();
          finish();
        });
        client.on('close', () => upstream.destroy());
      },
      (err: Error) => {
        const text = `drydock egress proxy: ${host} could not be resolved: ${err.message}\n`;
        client.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
        );
        finish(err.message);
      },
    );
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  // Tunnels leave the server's own bookkeeping: close() ends every socket itself.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: o.host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
