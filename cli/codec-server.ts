/**
 * `drydock codec-server`: Temporal's codec server protocol (POST /encode and
 * /decode with `{ payloads: [...] }`, CORS for the Temporal UI) over the AES-GCM
 * payload codec, so the UI can show encrypted payloads to operators.
 *
 * Anyone who can call it can decrypt, so it answers only requests that carry
 * its token (`Authorization: Bearer <token>`, or as the first path segment:
 * the Temporal UI posts to `<endpoint>/decode` and sends no static header, so
 * its endpoint is `http://host:port/<token>`), whose Host header names the
 * address it listens on (a DNS-rebinding page names its own host), and whose
 * Origin, when there is one, is the Temporal UI's.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import {
  deserializePayload,
  payloadCodecsFor,
  serializePayload,
  type SerializedPayload,
} from '../activities/security/payload-codec';
import type { ClientConfig } from './config';
import { UsageError } from './errors';
import { printText } from './output';

/** Options of startCodecServer. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The secret a request must carry (header or first path segment); at least 16 URL-safe characters. */
  token: string;
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Origins allowed by CORS (the Temporal UI); a request from any other origin is refused. */
  origins: string[];
  /** More Host header values to accept (a reverse proxy's name), besides the address listened on. */
  allowedHosts?: string[];
}

/** Characters a token may hold: it travels in a URL path. */
const TOKEN_SHAPE = /^[A-Za-z0-9._~-]{16,}$/;
/** Largest request body read. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A fresh random token for the codec server. */
export function generateCodecToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Starts the codec server; resolves when it listens. */
export async function startCodecServer(
  options: CodecServerOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  if (!TOKEN_SHAPE.test(options.token))
    throw new UsageError('the codec server token must be at least 16 characters of A-Z a-z 0-9 . _ ~ -');
  const listenHost = options.host ?? '127.0.0.1';
  let hosts = new Set<string>();
  const server = http.createServer((req, res) => {
    const refuse = (code: number, why: string) =>
      void res.writeHead(code, { 'content-type': 'text/plain' }).end(`${why}\n`);
    if (!hosts.has((req.headers.host ?? '').toLowerCase()))
      return refuse(403, 'the Host header does not name this codec server');
    const origin = req.headers.origin;
    if (origin !== undefined && !options.origins.includes(origin))
      return refuse(403, 'this origin may not use the codec server');
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    // A preflight carries no credentials; the request it announces must.
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const segments = (req.url ?? '').split('?')[0]?.split('/').filter(Boolean) ?? [];
    const route = segments[segments.length - 1];
    if (req.method !== 'POST' || (route !== 'encode' && route !== 'decode') || segments.length > 2)
      return refuse(404, 'POST /encode or /decode');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const inPath = segments.length === 2 ? segments[0] : undefined;
    if (![bearer, inPath].some((t) => t !== undefined && sameSecret(t, options.token)))
      return refuse(401, 'a codec server token is required');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return refuse(413, 'request body too large');
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: SerializedPayload[] };
          const payloads = (body.payloads ?? []).map(deserializePayload);
          const out = route === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ payloads: out.map(serializePayload) }));
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err));
        }
      })();
    });
  });
  const wanted = options.port ?? 8888;
  // A busy port or an address it may not bind is the user's to fix: one line that says which and how.
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`codec-server: port ${wanted} on ${listenHost} is in use; pick another with --port`)
          : err.code === 'EACCES'
            ? new UsageError(
                `codec-server: no permission to listen on ${listenHost}:${wanted}; pick a port above 1023 with --port`,
              )
            : err,
      ),
    );
    server.listen(wanted, listenHost, resolve);
  });
  const { port } = server.address() as AddressInfo;
  hosts = acceptedHosts(listenHost, port, options.allowedHosts ?? []);
  return {
    url: `http://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The Host header values that name the server: its address and port (and the loopback names when it listens on loopback). */
function acceptedHosts(listenHost: string, port: number, extra: readonly string[]): Set<string> {
  const loopback = ['127.0.0.1', 'localhost', '::1'];
  const names = loopback.includes(listenHost) ? loopback : [listenHost];
  const hosts = names.map((h) => (h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`));
  return new Set([...hosts, ...extra].map((h) => h.toLowerCase()));
}

/** Compares two secrets in constant time. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Options of the `codec-server` command. */
export interface CodecServerCommandOptions {
  port?: string;
  /** The Temporal UI's origin (default: the origin of DRYDOCK_UI_URL). */
  uiOrigin?: string;
}

/** The `codec-server` command: runs until interrupted. */
export async function codecServer(config: ClientConfig, o: CodecServerCommandOptions): Promise<number> {
  const [codec] = payloadCodecsFor(config.payloadKey);
  if (!codec)
    throw new UsageError(
      'codec-server needs DRYDOCK_PAYLOAD_KEY (the base64 of 32 bytes; make one with: openssl rand -base64 32)',
    );
  const n = o.port === undefined ? 8888 : Number(o.port);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`--port must be 1-65535, got ${JSON.stringify(o.port)}`);
  const origin = originOf(o.uiOrigin ?? config.temporalUiUrl);
  const configured = process.env.DRYDOCK_CODEC_TOKEN?.trim();
  if (configured !== undefined && configured !== '' && !TOKEN_SHAPE.test(configured)) {
    throw new UsageError('DRYDOCK_CODEC_TOKEN must be at least 16 characters of A-Z a-z 0-9 . _ ~ -');
  }
  const token = configured || generateCodecToken();
  const server = await startCodecServer({ codec, token, port: n, origins: [origin] });
  const shownToken = configured ? '$DRYDOCK_CODEC_TOKEN' : token;
  printText(
    `drydock codec server on ${server.url} (CORS: ${origin})\n` +
      `Temporal UI codec endpoint: ${server.url}/${shownToken}\n` +
      `other clients: ${server.url}/decode with "Authorization: Bearer <token>"\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

/** The origin of a URL (`http://localhost:8233/namespaces` → `http://localhost:8233`). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new UsageError(`--ui-origin must be a URL like http://localhost:8233, got ${JSON.stringify(url)}`);
  }
}
