/**
 * The forms a known secret takes when a script writes it somewhere: raw,
 * base64 (standard and URL-safe, at each of the three byte alignments, so a
 * secret inside a longer base64 text is found), hex (lower and upper case) and
 * URL-encoded. Each form is a literal to search for; none is shorter than
 * MIN_KNOWN_SECRET_LENGTH. The publish gate refuses a change holding any of
 * them; setup hygiene removes files holding any of them.
 */

/** Shortest known secret value searched for and redacted (shorter ones would match ordinary words). */
export const MIN_KNOWN_SECRET_LENGTH = 8;

/** How a secret form was written. */
export type SecretEncoding = 'raw' | 'base64' | 'base64url' | 'hex' | 'url-encoded';

/** One way a secret value can appear in text. */
export interface SecretForm {
  encoding: SecretEncoding;
  /** The literal to look for (for base64, the characters that depend on the secret alone). */
  value: string;
}

/** Lines of a PEM block's armour: shared by every key, so not a sign of this one. */
const PEM_ARMOUR = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/;

/**
 * The base64 characters that encode `bytes` whatever surrounds them, when
 * `offset` bytes (0, 1 or 2) of a longer text come before them: the
 * characters that mix in a neighbour's bits are left off at both ends.
 */
export function base64Core(bytes: Buffer, offset: 0 | 1 | 2): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
    .toString('base64')
    .replace(/=+$/, '');
  const first = Math.ceil((offset * 8) / 6);
  const last = Math.floor(((offset + bytes.length) * 8) / 6);
  return encoded.slice(first, last);
}

/** Every form of a secret value with its encoding (deduplicated); [] for a value too short to search for without false matches. */
export function secretForms(value: string): SecretForm[] {
  if (value.length < MIN_KNOWN_SECRET_LENGTH) return [];
  const bytes = Buffer.from(value, 'utf8');
  const forms: SecretForm[] = [{ encoding: 'raw', value }];
  // A multi-line value (a PEM key) is also found by its lines, for searches that match within one line.
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!PEM_ARMOUR.test(trimmed)) forms.push({ encoding: 'raw', value: trimmed });
  }
  for (const offset of [0, 1, 2] as const) {
    const core = base64Core(bytes, offset);
    forms.push(
      { encoding: 'base64', value: core },
      { encoding: 'base64url', value: core.replace(/\+/g, '-').replace(/\//g, '_') },
    );
  }
  const hex = bytes.toString('hex');
  forms.push({ encoding: 'hex', value: hex }, { encoding: 'hex', value: hex.toUpperCase() });
  const url = encodeURIComponent(value);
  const everyByte = [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  for (const encoded of [
    url,
    url.replace(/%[0-9A-F]{2}/g, (c) => c.toLowerCase()),
    url.replace(/%20/g, '+'),
    everyByte,
    everyByte.toUpperCase(),
  ]) {
    forms.push({ encoding: 'url-encoded', value: encoded });
  }
  const seen = new Set<string>();
  return forms.filter((f) => f.value.length >= MIN_KNOWN_SECRET_LENGTH && !seen.has(f.value) && seen.add(f.value));
}

/** Every single-line literal form of a secret value (deduplicated; a multi-line value by its lines); [] for a value too short to search for without false matches. */
export function secretEncodings(value: string): string[] {
  return secretForms(value)
    .map((f) => f.value)
    .filter((v) => !/[\r\n]/.test(v));
}

/** The forms of many secret values (short ones skipped), deduplicated, longest first. */
export function secretFormsOf(secrets: Iterable<string>): SecretForm[] {
  const seen = new Set<string>();
  const out: SecretForm[] = [];
  for (const secret of new Set(secrets)) {
    for (const form of secretForms(secret)) {
      if (seen.has(form.value)) continue;
      seen.add(form.value);
      out.push(form);
    }
  }
  return out.sort((a, b) => b.value.length - a.value.length);
}
