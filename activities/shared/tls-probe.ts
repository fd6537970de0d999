/**
 * A TLS handshake of our own with Temporal's frontend, with the connection's
 * certificates, to say *why* a connection failed: the SDKs report a refused
 * client certificate as a deadline or a broken pipe.
 */
import * as tls from 'tls';
import type { TemporalConnectOptions } from './temporal-connection';

/** Handshakes with `options.address` as the SDK would; resolves with what went wrong, or undefined when TLS is fine. */
export function probeTls(options: TemporalConnectOptions, timeoutMs = 3000): Promise<string | undefined> {
  const t = typeof options.tls === 'object' ? options.tls : {};
  const at = options.address.lastIndexOf(':');
  const host = options.address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(options.address.slice(at + 1));
  return new Promise((resolve) => {
    let settled = false;
    const done = (why: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const socket = tls.connect({
      host,
      port,
      servername: t.serverNameOverride ?? (/^[\d.:]+$/.test(host) ? undefined : host),
      ...(t.serverRootCACertificate ? { ca: t.serverRootCACertificate } : {}),
      ...(t.clientCertPair ? { cert: t.clientCertPair.crt, key: t.clientCertPair.key } : {}),
      ALPNProtocols: ['h2'],
    });
    // TLS 1.3: a server refuses a client certificate after the client's side of the handshake is done.
    socket.once('secureConnect', () => {
      socket.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
      setTimeout(() => done(undefined), 500);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.message || err.code || String(err)));
    socket.once('close', () =>
      done(socket.authorized ? 'the server closed the connection right after the handshake' : 'connection closed'),
    );
    const timer = setTimeout(() => done(undefined), timeoutMs);
  });
}
