/**
 * The optional payload codec: AES-256-GCM encryption of every workflow
 * payload (inputs, results, activity arguments, query answers) with a key from
 * DRYDOCK_PAYLOAD_KEY, so that history at rest holds ciphertext. Clients,
 * workers and the codec server (for the Temporal UI) all use it.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadCodecError } from './errors';

/** The `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that encrypted a payload (a fingerprint, never the key). */
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts and decrypts payloads with one AES-256-GCM key. */
export class AesGcmPayloadCodec implements PayloadCodec {
  /** Fingerprint of the key: the first 16 hex digits of its SHA-256. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new PayloadCodecError(`the payload key must be 32 bytes, got ${key.length}`);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  /** A codec from the base64 text of DRYDOCK_PAYLOAD_KEY. */
  static fromBase64(text: string): AesGcmPayloadCodec {
    return new AesGcmPayloadCodec(Buffer.from(text, 'base64'));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const plain = Buffer.from(JSON.stringify(serializePayload(payload)), 'utf8');
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(this.keyId) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : undefined;
      if (encoding !== ENCRYPTED_ENCODING) return payload;
      const keyId = payload.metadata?.[KEY_ID_METADATA]
        ? Buffer.from(payload.metadata[KEY_ID_METADATA]).toString()
        : '';
      if (keyId !== this.keyId)
        throw new PayloadCodecError(
          `payload was encrypted with key ${keyId || '(unknown)'}, this key is ${this.keyId}`,
        );
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError('encrypted payload is too short');
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadCodecError('encrypted payload failed authentication (wrong key or tampered data)');
      }
      return deserializePayload(JSON.parse(plain.toString('utf8')) as SerializedPayload);
    });
  }
}

/** A payload as plain JSON: metadata values and data in base64 (the codec server protocol's shape). */
export interface SerializedPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Payload → JSON with base64 fields. */
export function serializePayload(payload: Payload): SerializedPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

/** JSON with base64 fields → Payload. */
export function deserializePayload(json: SerializedPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(json.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(json.data ?? '', 'base64') };
}

/** The codecs for a DRYDOCK_PAYLOAD_KEY value: one AES-GCM codec, or none without a key. */
export function payloadCodecsFor(payloadKey: string | undefined): PayloadCodec[] {
  return payloadKey ? [AesGcmPayloadCodec.fromBase64(payloadKey)] : [];
}
