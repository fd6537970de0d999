/** The literal forms of a secret that setup hygiene (and anything else that looks for known values) searches for. */
import { randomBytes } from 'crypto';
import { base64Core, secretEncodings } from '../../activities/security/secret-encodings';

const SECRET = 'npm_Zx9+/secret?&=value';

test('a secret inside a longer base64 text is found at every byte alignment, in both alphabets', () => {
  const forms = secretEncodings(SECRET);
  for (let prefix = 0; prefix < 9; prefix++) {
    for (const suffix of [0, 1, 2, 5]) {
      const text = Buffer.concat([randomBytes(prefix), Buffer.from(SECRET), randomBytes(suffix)]);
      const standard = text.toString('base64');
      const urlSafe = text.toString('base64url');
      expect({ prefix, suffix, found: forms.some((f) => standard.includes(f)) }).toEqual({
        prefix,
        suffix,
        found: true,
      });
      expect({ prefix, suffix, found: forms.some((f) => urlSafe.includes(f)) }).toEqual({
        prefix,
        suffix,
        found: true,
      });
    }
  }
});

test('the base64 core leaves off exactly the characters a neighbour changes', () => {
  const value = Buffer.from('abcdefgh');
  // 8 bytes are 64 bits: 10 whole characters; the 11th mixes in the next byte.
  expect(base64Core(value, 0)).toBe('YWJjZGVmZ2');
  expect(base64Core(value, 1)).toBe(Buffer.from('\0abcdefgh', 'latin1').toString('base64').slice(2, 12));
  for (const offset of [0, 1, 2] as const) {
    const core = base64Core(value, offset);
    for (let i = 0; i < 20; i++) {
      const around = Buffer.concat([randomBytes(offset + 3 * (i % 3)), value, randomBytes(i % 4)]).toString('base64');
      expect(around).toContain(core);
    }
  }
});

test('raw, hex (both cases) and URL-encoded forms', () => {
  const forms = secretEncodings(SECRET);
  expect(forms).toContain(SECRET);
  expect(forms).toContain(Buffer.from(SECRET).toString('hex'));
  expect(forms).toContain(Buffer.from(SECRET).toString('hex').toUpperCase());
  expect(forms).toContain(encodeURIComponent(SECRET));
  expect(forms).toContain(encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (c) => c.toLowerCase()));
  expect(new Set(forms).size).toBe(forms.length);
});

test('a value too short to search for has no forms; no form is shorter than 8 characters', () => {
  expect(secretEncodings('abc1234')).toEqual([]);
  for (const value of ['abcd1234', 'x'.repeat(9), SECRET])
    for (const f of secretEncodings(value)) expect(f.length).toBeGreaterThanOrEqual(8);
});

test('a PEM key is found by its own lines, not by the armour every key shares', () => {
  const pem = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n`;
  const forms = secretEncodings(pem);
  expect(forms).toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
  expect(forms).toContain('BKcwggSjAgEAAoIBAQC7');
  expect(forms.some((f) => f.includes('-----BEGIN') && !f.includes('%'))).toBe(false);
  expect(forms.every((f) => !f.includes('\n'))).toBe(true);
});
