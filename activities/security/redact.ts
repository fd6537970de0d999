/**
 * Redaction of secrets in text drydock writes: known token shapes (GitHub,
 * OpenAI, AWS, Slack, private key blocks, Bearer headers, credentials in URLs)
 * and the values of the secrets a worker holds, raw or encoded (base64, hex,
 * URL-encoded). The one implementation: model and GitHub error messages use it
 * through its options.
 */
import { secretFormsOf } from './secret-encodings';

/** One kind of secret drydock recognises by its shape. */
export interface SecretPattern {
  /** Short name shown in place of the secret, e.g. `github-token`. */
  kind: string;
  /** Human name for refusal messages. */
  label: string;
  /** Global regular expression; capture group 1, when the pattern has one, is a prefix that is kept (`Bearer `). */
  regex: RegExp;
}

/** The token shapes drydock redacts and the publish gate refuses. */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    kind: 'private-key',
    label: 'private key block',
    regex: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/g,
  },
  {
    // A block cut off before its END line (trimmed output, a partial paste). `\n` is matched
    // as the two characters JSON writes too, so a key inside a JSON string is covered.
    kind: 'private-key',
    label: 'private key block',
    regex: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s]|\\n|\\r)*/g,
  },
  { kind: 'github-token', label: 'GitHub token', regex: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{20,}/g },
  { kind: 'github-token', label: 'GitHub fine-grained token', regex: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{20,}/g },
  {
    kind: 'openai-key',
    label: 'OpenAI API key',
    regex: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}/g,
  },
  {
    kind: 'aws-access-key',
    label: 'AWS access key id',
    regex: /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}(?![0-9A-Z])/g,
  },
  { kind: 'slack-token', label: 'Slack token', regex: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'bearer-token', label: 'Bearer credential', regex: /(\bBearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi },
  {
    kind: 'url-credentials',
    label: 'password in a URL',
    regex: /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"'\\]+:)[^@\s/"'\\]{3,}(?=@)/gi,
  },
];

/**
 * Short API keys (`sk-1234`, LiteLLM's) and Bearer credentials of any length:
 * masked only in messages about a model call (`shortKeys`). The shared shapes
 * must not match them, or the publish gate would refuse code that mentions `sk-test`.
 */
const SHORT_KEY_PATTERNS: readonly SecretPattern[] = [
  { kind: 'bearer-token', label: 'Bearer credential', regex: /(\bBearer\s+)[^\s"',;]+/gi },
  { kind: 'api-key', label: 'API key', regex: /\bsk-[A-Za-z0-9_-]{4,}/g },
];

/** What redactSecrets removes besides the known token shapes, and what it writes instead. */
export interface RedactOptions {
  /** Secret values, removed in every form they can be written in (raw, base64, hex, URL-encoded); values under 8 characters are ignored. */
  secrets?: Iterable<string>;
  /** Also masks short API keys (`sk-1234`) and Bearer credentials of any length: for messages about a model call only. */
  shortKeys?: boolean;
  /** Written in place of every secret; `[REDACTED:<kind>]` when absent. */
  marker?: string;
}

/** Where a secret was found in a text. */
export interface SecretFinding {
  kind: string;
  label: string;
  /** Offset of the secret in the text. */
  index: number;
  /** Length of the secret in the text. */
  length: number;
  /** The first 4 characters and an ellipsis: enough to recognise, never the secret. */
  preview: string;
}

export { MIN_KNOWN_SECRET_LENGTH } from './secret-encodings';

/** The text that stands in for a redacted secret. */
export function redactionMarker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/** Redacts known token shapes and known secret values; everything else is kept as it was. */
export class Redactor {
  private readonly values: string[];
  /** The values in every form they can be written in (raw, base64, hex, URL-encoded), longest first. */
  private readonly known: string[];

  constructor(knownSecrets: Iterable<string> = []) {
    this.values = [...new Set(knownSecrets)];
    // Longest first, so a secret that contains another is replaced whole.
    this.known = secretFormsOf(this.values).map((f) => f.value);
  }

  /** A redactor that also knows these secret values. */
  with(extraSecrets: Iterable<string>): Redactor {
    return new Redactor([...this.values, ...extraSecrets]);
  }

  /** The text with every secret replaced by `[REDACTED:<kind>]`. */
  redact(text: string): string {
    return replaceShapes(replaceValues(text, this.known, redactionMarker('secret')), SECRET_PATTERNS);
  }

  /** Redacts a buffer that holds text; binary data (with NUL bytes) is returned as it is. */
  redactBuffer(data: Buffer): Buffer {
    if (data.includes(0)) return data;
    const text = data.toString('utf8');
    const redacted = this.redact(text);
    return redacted === text ? data : Buffer.from(redacted, 'utf8');
  }
}

/** The text with every known token shape (and the given secrets' values) replaced by `[REDACTED:<kind>]` or the given marker. */
export function redactSecrets(text: string, options: RedactOptions = {}): string {
  const known = options.secrets === undefined ? [] : secretFormsOf(options.secrets).map((f) => f.value);
  const withoutValues = replaceValues(text, known, options.marker ?? redactionMarker('secret'));
  const patterns = options.shortKeys ? [...SHORT_KEY_PATTERNS, ...SECRET_PATTERNS] : SECRET_PATTERNS;
  return replaceShapes(withoutValues, patterns, options.marker);
}

/** Replaces each literal (longest first, as secretFormsOf orders them) with the marker. */
function replaceValues(text: string, literals: readonly string[], marker: string): string {
  let out = text;
  for (const value of literals) {
    if (out.includes(value)) out = out.split(value).join(marker);
  }
  return out;
}

/** Replaces each match of the patterns, keeping a pattern's prefix (capture group 1). */
function replaceShapes(text: string, patterns: readonly SecretPattern[], marker?: string): string {
  let out = text;
  for (const { kind, regex } of patterns) {
    out = out.replace(
      regex,
      (...match: unknown[]) => `${typeof match[1] === 'string' ? match[1] : ''}${marker ?? redactionMarker(kind)}`,
    );
  }
  return out;
}

/** Every known token shape in a text (redaction markers are not findings). */
export function findSecrets(text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { kind, label, regex } of SECRET_PATTERNS) {
    // The shared expressions are reused (a fresh RegExp per call runs interpreted and is many times slower).
    regex.lastIndex = 0;
    for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
      if (match[0] === '') {
        regex.lastIndex++;
        continue;
      }
      const prefix = match[1] ?? '';
      const index = (match.index ?? 0) + prefix.length;
      if (findings.some((f) => f.index === index)) continue;
      const secret = match[0].slice(prefix.length);
      findings.push({ kind, label, index, length: secret.length, preview: previewOf(secret) });
    }
  }
  return findings.sort((a, b) => a.index - b.index);
}

/** The first 4 characters of a secret and an ellipsis. */
export function previewOf(secret: string): string {
  return `${secret.slice(0, 4)}…`;
}

/** Prefix of the environment variables that hold setup secrets: `DRYDOCK_SETUP_SECRET_<NAME>`. */
export const SETUP_SECRET_PREFIX = 'DRYDOCK_SETUP_SECRET_';
