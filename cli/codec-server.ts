/**
 * `drydock codec-server`: Temporal's codec server protocol (POST /encode and
 * /decode with `{ payloads: [...] }`, CORS for the Temporal UI) over the AES-GCM
 * payload codec, so the UI can show encrypted payloads to operators.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { deserializePayload, payloadCodecsFor, serializePayload, type SerializedPayload } from '../activities/security/payload-codec';
import type { DrydockConfig } from '../workers/config';
import { UsageError } from './errors';

/** Options of startCodecServer. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  port?: number;
  host?: string;
  /** Origins allowed by CORS (the Temporal UI). */
  origins: string[];
}

/** Starts the codec server; resolves when it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && options.origins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const route = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (route !== '/encode' && route !== '/decode')) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: SerializedPayload[] };
          const payloads = (body.payloads ?? []).map(deserializePayload);
          const out = route === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payloads: out.map(serializePayload) }));
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 8888, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The `codec-server` command: runs until interrupted. */
export async function codecServer(config: DrydockConfig, port: string | undefined): Promise<number> {
  const [codec] = payloadCodecsFor(config.security.payloadKey);
  if (!codec) throw new UsageError('codec-server needs DRYDOCK_PAYLOAD_KEY (the base64 of 32 bytes; make one with: openssl rand -base64 32)');
  const n = port === undefined ? 8888 : Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port must be 1-65535, got ${JSON.stringify(port)}`);
  const server = await startCodecServer({ codec, port: n, origins: [config.temporalUiUrl] });
  process.stdout.write(`drydock codec server on ${server.url} (CORS: ${config.temporalUiUrl}); set it as the codec endpoint in the Temporal UI\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
