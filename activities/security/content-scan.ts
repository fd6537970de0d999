/**
 * What the publish gate looks for in the lines a change adds to one file:
 * token shapes (as written, hex- or base64-encoded, or split into pieces),
 * known secret values in any of their forms, high-entropy strings and hidden
 * Unicode. Binary files are read as bytes (latin1) and skip the entropy
 * check, and the Unicode check but on lines that are valid UTF-8: on random
 * bytes both would be noise.
 */
import { hasDeceptiveUnicode } from './hidden-unicode';
import { findSecrets, previewOf, type SecretFinding } from './redact';
import { MIN_KNOWN_SECRET_LENGTH, type SecretForm } from './secret-encodings';

/** One added line, decoded. */
export interface ScanLine {
  line: number;
  text: string;
  /** For a binary file: the line as UTF-8, when it is valid UTF-8 without NUL (a text line in a file git calls binary). */
  utf8?: string;
}

/** How the file is scanned. */
export interface ContentScanOptions {
  /** Read as bytes: token shapes and known values only (no entropy, no Unicode check). */
  binary: boolean;
  /** Lock files hold integrity hashes that look random: no entropy check. */
  lockFile: boolean;
  /** Forms of the secret values the worker knows (secretFormsOf). */
  knownForms: readonly SecretForm[];
}

/** One problem in a file's added lines; `message` follows `path:line` and never holds a secret. */
export interface ContentFinding {
  kind: 'secret' | 'known-secret' | 'high-entropy' | 'hidden-unicode';
  line: number;
  message: string;
}

/** Shortest run of hex digits decoded and scanned for token shapes. */
export const MIN_HEX_RUN = 40;
/** Shortest run of base64 characters decoded and scanned for token shapes. */
export const MIN_BASE64_RUN = 24;
/** Shortest string the entropy check looks at. */
const MIN_ENTROPY_LENGTH = 32;
/** Bits per character above which a long token counts as a likely secret. */
const ENTROPY_THRESHOLD = 4.3;
/** Token kinds with a prefix distinctive enough to look for in a squashed copy of the lines. */
const SPLIT_KINDS = new Set(['github-token', 'openai-key', 'aws-access-key', 'slack-token']);
/** Characters removed to join pieces: quotes, `+`, commas, backslashes, whitespace (and NUL, for UTF-16 in binary files). */
const PIECE_GLUE = /['"`+,\\\s\0]/g;

const HIDDEN_UNICODE = 'adds hidden Unicode (a bidirectional control or tag character)';

/** Everything the gate refuses in one file's added lines, in line order. */
export function scanAddedLines(lines: readonly ScanLine[], options: ContentScanOptions): ContentFinding[] {
  const findings: ContentFinding[] = [];
  const add = (f: ContentFinding) => {
    if (!findings.some((g) => g.line === f.line && g.message === f.message)) findings.push(f);
  };
  const squashed = viewOf(lines, squash, '');
  const known = knownSecretFindings(lines, squashed, options);
  // A high-entropy preview on a line holding a known secret could show the secret's first characters.
  const knownLines = new Set(known.map((f) => f.line));
  for (const { line, text, utf8 } of lines) {
    for (const secret of findSecrets(text))
      add({ kind: 'secret', line, message: `adds what looks like a ${secret.label} (${secret.preview})` });
    if (options.binary) {
      // One NUL makes a source file binary to git; its text lines are still checked for Trojan Source.
      if (utf8 !== undefined && hasDeceptiveUnicode(utf8))
        add({ kind: 'hidden-unicode', line, message: HIDDEN_UNICODE });
      continue;
    }
    if (!options.lockFile && !knownLines.has(line)) {
      for (const token of highEntropyStrings(text)) {
        if (findSecrets(token).length > 0) continue;
        add({
          kind: 'high-entropy',
          line,
          message: `adds a high-entropy string that may be a secret (${previewOf(token)}, ${token.length} characters)`,
        });
      }
    }
    if (hasDeceptiveUnicode(text)) add({ kind: 'hidden-unicode', line, message: HIDDEN_UNICODE });
  }
  for (const f of known) add(f);
  for (const f of splitTokenFindings(lines, squashed)) add(f);
  for (const f of encodedTokenFindings(lines)) add(f);
  return findings.sort((a, b) => a.line - b.line);
}

/** Known secret values in any form, as written or in pieces. */
function knownSecretFindings(
  lines: readonly ScanLine[],
  squashed: LineView,
  options: ContentScanOptions,
): ContentFinding[] {
  if (options.knownForms.length === 0) return [];
  const out: ContentFinding[] = [];
  // Consecutive lines joined by \n, so a multi-line secret (a PEM key) is found whole.
  const joined = viewOf(lines, (t) => t, '\n');
  // Percent-encoding has many dialects (which characters are escaped, `+` for a space): decode it instead of listing them.
  const hasPercent = !options.binary && lines.some((l) => /%[0-9A-Fa-f]{2}/.test(l.text));
  const urlViews = hasPercent
    ? [viewOf(lines, percentDecoded, '\n'), viewOf(lines, (t) => percentDecoded(t.replace(/\+/g, ' ')), '\n')]
    : [];
  for (const form of options.knownForms) {
    // Binary files are read one character per byte, and so are percent-decoded texts.
    const asBytes = Buffer.from(form.value, 'utf8').toString('latin1');
    const needle = options.binary ? asBytes : form.value;
    const how = form.encoding === 'raw' ? '' : ` (${form.encoding})`;
    const found = occurrences(joined.text, needle).map((at) => ({
      kind: 'known-secret' as const,
      line: joined.lineAt(at),
      message: `adds a known secret value${how}`,
    }));
    if (found.length === 0 && form.encoding === 'raw') {
      for (const view of urlViews) {
        for (const at of occurrences(view.text, asBytes))
          found.push({
            kind: 'known-secret',
            line: view.lineAt(at),
            message: 'adds a known secret value (url-encoded)',
          });
        if (found.length > 0) break;
      }
    }
    out.push(...found);
    if (found.length > 0) continue;
    const piece = squash(needle);
    if (piece.length < MIN_KNOWN_SECRET_LENGTH) continue;
    for (const at of occurrences(squashed.text, piece)) {
      out.push({
        kind: 'known-secret',
        line: squashed.lineAt(at),
        message: `adds a known secret value${how} split into pieces`,
      });
    }
  }
  return out;
}

/** Token shapes that appear only once quotes, `+`, commas, backslashes and whitespace between pieces are removed. */
function splitTokenFindings(lines: readonly ScanLine[], squashed: LineView): ContentFinding[] {
  const out: ContentFinding[] = [];
  for (const secret of findSecrets(squashed.text)) {
    if (!SPLIT_KINDS.has(secret.kind)) continue;
    const token = tokenAt(squashed.text, secret);
    // Already reported where it stands whole on one line.
    if (lines.some((l) => l.text.includes(token))) continue;
    // Joined identifiers (`'sk-' + someVariableName`) are not tokens: a token has digits.
    if (!/[0-9]/.test(token.slice(4))) continue;
    out.push({
      kind: 'secret',
      line: squashed.lineAt(secret.index),
      message: `adds what looks like a ${secret.label} split into pieces (${secret.preview})`,
    });
  }
  return out;
}

/** Token shapes inside runs of hex digits (also `\x67`, `0x67`, `%67`) or base64, decoded. */
function encodedTokenFindings(lines: readonly ScanLine[]): ContentFinding[] {
  const out: ContentFinding[] = [];
  const hex = viewOf(lines, (t) => squash(t.replace(/(?:\\x|0x|%)(?=[0-9a-fA-F]{2})/g, '')), '');
  for (const run of hex.text.matchAll(new RegExp(`[0-9a-fA-F]{${MIN_HEX_RUN},}`, 'g'))) {
    for (let shift = 0; shift < 2; shift++) {
      const digits = run[0].slice(shift);
      const decoded = Buffer.from(digits.slice(0, digits.length - (digits.length % 2)), 'hex').toString('latin1');
      for (const secret of findSecrets(decoded)) {
        const at = (run.index ?? 0) + shift + 2 * secret.index;
        out.push({
          kind: 'secret',
          line: hex.lineAt(at),
          message: `adds what looks like a hex-encoded ${secret.label} (${previewOf(tokenAt(decoded, secret))})`,
        });
      }
    }
  }
  // Line-wrapped base64 is joined: consecutive lines without their whitespace.
  const base64 = viewOf(lines, (t) => t.replace(/\s/g, ''), '');
  for (const run of base64.text.matchAll(new RegExp(`[A-Za-z0-9+/_-]{${MIN_BASE64_RUN},}`, 'g'))) {
    for (let shift = 0; shift < 4; shift++) {
      const decoded = Buffer.from(run[0].slice(shift), 'base64').toString('latin1');
      for (const secret of findSecrets(decoded)) {
        const at = (run.index ?? 0) + shift + Math.floor((4 * secret.index) / 3);
        out.push({
          kind: 'secret',
          line: base64.lineAt(at),
          message: `adds what looks like a base64-encoded ${secret.label} (${previewOf(tokenAt(decoded, secret))})`,
        });
      }
    }
  }
  return out;
}

/** Long tokens on a line whose character entropy suggests random data (a key, a token). */
export function highEntropyStrings(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9+/=_-]{32,}/g)) {
    const token = match[0];
    // Hashes named by their algorithm (lock files, SRI) and plain hex digests are not secrets to refuse.
    const before = text.slice(Math.max(0, (match.index ?? 0) - 8), match.index);
    if (/(sha1|sha256|sha384|sha512|md5|h1:)-?$/i.test(before) || /^(sha1|sha256|sha384|sha512)-/i.test(token))
      continue;
    // Inlined content (`data:image/png;base64,…`) is data, not a key; tokens inside it are found by decoding.
    if (/base64,$/i.test(before)) continue;
    if (/^[0-9a-f]+$/i.test(token)) continue;
    if (!/[0-9]/.test(token) || !/[a-z]/.test(token) || !/[A-Z]/.test(token)) continue;
    if (token.length >= MIN_ENTROPY_LENGTH && shannonEntropy(token) >= ENTROPY_THRESHOLD) out.push(token);
  }
  return out;
}

/** Shannon entropy of a string in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** A text with its `%XX` escapes decoded, one character per byte (latin1). */
function percentDecoded(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A text without the glue between pieces of a string. */
function squash(text: string): string {
  return text.replace(PIECE_GLUE, '');
}

/** The added lines transformed and joined (consecutive lines by `glue`, gaps by a character no token holds), with a way back to line numbers. */
interface LineView {
  text: string;
  lineAt(offset: number): number;
}

function viewOf(lines: readonly ScanLine[], transform: (text: string) => string, glue: string): LineView {
  const parts: string[] = [];
  const starts: number[] = [];
  let length = 0;
  lines.forEach((l, i) => {
    if (i > 0) {
      const sep = l.line === (lines[i - 1]?.line ?? 0) + 1 ? glue : '\u2028';
      parts.push(sep);
      length += sep.length;
    }
    starts.push(length);
    const t = transform(l.text);
    parts.push(t);
    length += t.length;
  });
  return {
    text: parts.join(''),
    lineAt(offset: number): number {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= offset) lo = mid;
        else hi = mid - 1;
      }
      return lines[lo]?.line ?? 0;
    },
  };
}

/** Offsets of every occurrence of a needle. */
function occurrences(text: string, needle: string): number[] {
  const out: number[] = [];
  if (needle === '') return out;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) out.push(at);
  return out;
}

/** The text of a finding. */
function tokenAt(text: string, finding: SecretFinding): string {
  return text.slice(finding.index, finding.index + finding.length);
}
