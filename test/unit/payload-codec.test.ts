/** The AES-GCM payload codec and the codec server the Temporal UI calls. */
import { randomBytes } from 'crypto';
import http from 'http';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, serializePayload } from '../../activities/security/payload-codec';
import { startCodecServer } from '../../cli/codec-server';

const key = randomBytes(32);
const codec = new AesGcmPayloadCodec(key);
const secretGoal = { goal: 'rotate the key hunter2-9f8e7d', repository: '/srv/repo' };

test('payloads round-trip, and the encrypted form holds no plaintext', async () => {
  const plain = defaultPayloadConverter.toPayload(secretGoal);
  const [encrypted] = await codec.encode([plain]);
  expect(Buffer.from(encrypted!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
  expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toContain('hunter2');
  const [decoded] = await codec.decode([encrypted!]);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(secretGoal);
});

test('a wrong key or a tampered payload is refused', async () => {
  const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(secretGoal)]);
  await expect(new AesGcmPayloadCodec(randomBytes(32)).decode([encrypted!])).rejects.toThrow(/encrypted with key/);
  const tampered = { ...encrypted!, data: Buffer.from(encrypted!.data!) };
  tampered.data[20] = (tampered.data[20] ?? 0) ^ 1;
  await expect(codec.decode([tampered])).rejects.toThrow(/failed authentication/);
});

const UI = 'http://localhost:8233';
const TOKEN = 'codec-token-0123456789abcdef';

/** A POST to the codec server with raw control of the Host header (fetch would not let a test forge it). */
function post(
  url: string,
  route: string,
  o: { host?: string; authorization?: string; origin?: string; body: string },
): Promise<{ status: number; body: string }> {
  const target = new URL(route, url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          host: o.host ?? target.host,
          'content-type': 'application/json',
          ...(o.authorization ? { authorization: o.authorization } : {}),
          ...(o.origin ? { origin: o.origin } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('the codec server', () => {
  let server: Awaited<ReturnType<typeof startCodecServer>>;
  let body: string;

  beforeAll(async () => {
    server = await startCodecServer({ codec, token: TOKEN, port: 0, origins: [UI] });
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(secretGoal)]);
    body = JSON.stringify({ payloads: [serializePayload(encrypted!)] });
  });

  afterAll(() => server.close());

  const decoded = (response: { body: string }) =>
    JSON.parse(
      Buffer.from(
        (JSON.parse(response.body) as { payloads: { data: string }[] }).payloads[0]!.data,
        'base64',
      ).toString(),
    );

  test('decodes for the Temporal UI: its origin, the token as the endpoint path, CORS', async () => {
    const preflight = await fetch(`${server.url}/${TOKEN}/decode`, { method: 'OPTIONS', headers: { origin: UI } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    const res = await post(server.url, `/${TOKEN}/decode`, { origin: UI, body });
    expect(res.status).toBe(200);
    expect(decoded(res)).toEqual(secretGoal);
  });

  test('decodes for a client sending the token as a Bearer header, by the localhost name too', async () => {
    const res = await post(server.url, '/decode', {
      authorization: `Bearer ${TOKEN}`,
      host: `localhost:${new URL(server.url).port}`,
      body,
    });
    expect(res.status).toBe(200);
    expect(decoded(res)).toEqual(secretGoal);
  });

  test('a request without the token, or with a wrong one, is refused with 401', async () => {
    expect((await post(server.url, '/decode', { origin: UI, body })).status).toBe(401);
    expect(
      (await post(server.url, '/decode', { authorization: 'Bearer codec-token-0123456789abcdeX', body })).status,
    ).toBe(401);
    expect((await post(server.url, '/codec-token-0123456789abcdeX/decode', { body })).status).toBe(401);
    expect((await post(server.url, '/decode', { authorization: TOKEN, body })).status).toBe(401);
  });

  test('a request naming another host (DNS rebinding) is refused with 403, even with the token', async () => {
    const port = new URL(server.url).port;
    for (const host of [`attacker.example:${port}`, 'localhost:1', `127.0.0.1.nip.io:${port}`]) {
      const res = await post(server.url, `/${TOKEN}/decode`, { host, body });
      expect(res.status).toBe(403);
      expect(res.body).toBe('the Host header does not name this codec server\n');
    }
  });

  test('another origin gets no CORS headers and its requests are refused', async () => {
    const other = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.localhost' },
    });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post(server.url, `/${TOKEN}/decode`, { origin: 'http://evil.localhost', body })).status).toBe(403);
  });

  test('a token too short or with characters a URL path mangles is refused at start', async () => {
    await expect(startCodecServer({ codec, token: 'short', port: 0, origins: [UI] })).rejects.toThrow(
      /at least 16 characters/,
    );
    await expect(startCodecServer({ codec, token: 'with/a/slash/0123456789', port: 0, origins: [UI] })).rejects.toThrow(
      /at least 16 characters/,
    );
  });
});
