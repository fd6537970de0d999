/**
 * A TLS-terminating gRPC proxy in front of a plain Temporal dev server (whose
 * CLI serves no TLS): it requires a client certificate of its CA (mTLS) and,
 * when given one, an API key (`authorization: Bearer <key>`, answered with
 * gRPC UNAUTHENTICATED otherwise), and forwards every stream as it is.
 */
import * as http2 from 'http2';
import { readFileSync } from 'fs';
import type { AddressInfo } from 'net';

/** What the proxy serves with and what it checks. */
export interface TlsProxyOptions {
  /** host:port of the plain dev server. */
  upstream: string;
  serverCert: string;
  serverKey: string;
  /** The CA whose client certificates are accepted; none: no client certificate asked. */
  clientCaCert?: string;
  /** The API key required, when set. */
  apiKey?: string;
}

/** A running proxy: its address and how to stop it. */
export interface TlsProxy {
  address: string;
  /** Handshakes the proxy refused (e.g. a client certificate of another CA). */
  refusedHandshakes: number;
  close(): Promise<void>;
}

const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);

/** Starts the proxy on 127.0.0.1 on a free port. */
export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  const upstream = http2.connect(`http://${options.upstream}`);
  upstream.on('error', () => undefined);
  const server = http2.createSecureServer({
    cert: readFileSync(options.serverCert),
    key: readFileSync(options.serverKey),
    ...(options.clientCaCert
      ? { ca: readFileSync(options.clientCaCert), requestCert: true, rejectUnauthorized: true }
      : {}),
    allowHTTP1: false,
  });
  const proxy: TlsProxy = {
    address: '',
    refusedHandshakes: 0,
    close: () =>
      new Promise<void>((resolve) => {
        upstream.close();
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      }),
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('tlsClientError', () => proxy.refusedHandshakes++);
  server.on('stream', (stream, headers) => {
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'invalid API key' },
        { endStream: true },
      );
      return;
    }
    const forward: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) if (!HOP_HEADERS.has(k) && v !== undefined) forward[k] = v;
    const up = upstream.request(forward);
    let trailers: http2.IncomingHttpHeaders | undefined;
    up.on('response', (h) => {
      const reply: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(h)) if (!HOP_HEADERS.has(k) && v !== undefined) reply[k] = v;
      if (up.readableEnded || 'grpc-status' in h) stream.respond(reply, { endStream: true });
      else stream.respond(reply, { waitForTrailers: true });
    });
    up.on('trailers', (t) => (trailers = t));
    stream.on('wantTrailers', () => {
      const out: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(trailers ?? { 'grpc-status': '0' }))
        if (!k.startsWith(':') && v !== undefined) out[k] = v;
      stream.sendTrailers(out);
    });
    up.on('data', (chunk: Buffer) => {
      if (!stream.destroyed && !stream.writableEnded) stream.write(chunk);
    });
    up.on('end', () => {
      if (!stream.destroyed && !stream.writableEnded && stream.headersSent) stream.end();
    });
    up.on('error', () => stream.destroyed || stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('error', () => undefined);
    stream.on('close', () => up.destroyed || up.close(http2.constants.NGHTTP2_CANCEL));
    stream.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
