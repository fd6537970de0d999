/** The AES-GCM payload codec and the codec server the Temporal UI calls. */
import { randomBytes } from 'crypto';
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

test('the codec server decodes for the Temporal UI origin, with CORS', async () => {
  const server = await startCodecServer({ codec, port: 0, origins: ['http://localhost:8233'] });
  try {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(secretGoal)]);
    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const res = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8233', 'x-namespace': 'default' },
      body: JSON.stringify({ payloads: [serializePayload(encrypted!)] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { payloads: { data: string }[] };
    expect(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString())).toEqual(secretGoal);
    const other = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.localhost' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  } finally {
    await server.close();
  }
});
