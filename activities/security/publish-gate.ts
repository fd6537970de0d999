/**
 * The publish gate: a pure check of a change before it becomes a pull request.
 * It refuses changes to protected paths (CI configuration, agent instructions,
 * credential files) unless the goal's policy allows them, secrets on added
 * lines (known token shapes and high-entropy strings), and hidden Unicode
 * controls on added lines.
 */
import { hasDeceptiveUnicode } from './hidden-unicode';
import { findSecrets, previewOf } from './redact';

/** Paths a change may not touch unless the goal's policy.allowProtectedPaths names them (globs). */
export const PROTECTED_PATHS: readonly string[] = [
  '.github/workflows/**',
  '.github/actions/**',
  '.gitlab-ci.yml',
  '.gitlab/**',
  '.circleci/**',
  'Jenkinsfile',
  '.drydock/**',
  '**/AGENTS.md',
  '**/.npmrc',
  '**/.pypirc',
  '**/.netrc',
  '**/.git-credentials',
  '**/.dockercfg',
  '**/.docker/config.json',
  '**/id_rsa',
  '**/id_dsa',
  '**/id_ecdsa',
  '**/id_ed25519',
  '**/*.pem',
  '**/*.p12',
  '**/*.pfx',
  '**/*.key',
  '**/.env',
  '**/.env.*',
];

/** Lock files hold integrity hashes that look random; they are scanned for token shapes only. */
const LOCK_FILES = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|go\.sum|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|uv\.lock)$/;

/** Shortest string the entropy check looks at. */
const MIN_ENTROPY_LENGTH = 32;
/** Bits per character above which a long token counts as a likely secret. */
const ENTROPY_THRESHOLD = 4.3;

/** What the gate is given. */
export interface PublishGateOptions {
  /** The change as `git diff --binary` wrote it. */
  patch: string;
  /** Changed paths as the change collector listed them (joined with the paths the patch names). */
  paths?: string[];
  /** Globs of protected paths the goal's policy allows. */
  allowProtectedPaths?: readonly string[];
}

/** One reason the gate refused a change. */
export interface GateFinding {
  kind: 'protected-path' | 'secret' | 'high-entropy' | 'hidden-unicode';
  path: string;
  /** Line in the new file, for findings on added lines. */
  line?: number;
  /** One line for a person; never holds the secret itself. */
  message: string;
}

/** The gate's verdict. */
export interface PublishGateVerdict {
  allowed: boolean;
  findings: GateFinding[];
  /** One line per finding (at most 20), for the goal's failure reason. */
  reasons: string[];
}

/** Checks a change; pure. */
export function checkPublishable(options: PublishGateOptions): PublishGateVerdict {
  const findings: GateFinding[] = [];
  const allow = options.allowProtectedPaths ?? [];
  const paths = new Set([...(options.paths ?? []), ...changedPathsOfPatch(options.patch)]);
  for (const path of [...paths].sort()) {
    const rule = PROTECTED_PATHS.find((glob) => matchesGlob(path, glob));
    if (rule && !allow.some((glob) => matchesGlob(path, glob))) {
      findings.push({
        kind: 'protected-path',
        path,
        message: `${path} is a protected path (${rule}); the goal's policy.allowProtectedPaths does not allow it`,
      });
    }
  }
  for (const added of addedLines(options.patch)) {
    const where = `${added.path}:${added.line}`;
    for (const secret of findSecrets(added.text)) {
      findings.push({ kind: 'secret', path: added.path, line: added.line, message: `${where} adds what looks like a ${secret.label} (${secret.preview})` });
    }
    if (!LOCK_FILES.test(added.path)) {
      for (const token of highEntropyStrings(added.text)) {
        if (findSecrets(token).length > 0) continue;
        findings.push({
          kind: 'high-entropy',
          path: added.path,
          line: added.line,
          message: `${where} adds a high-entropy string that may be a secret (${previewOf(token)}, ${token.length} characters)`,
        });
      }
    }
    if (hasDeceptiveUnicode(added.text)) {
      findings.push({ kind: 'hidden-unicode', path: added.path, line: added.line, message: `${where} adds hidden Unicode (a bidirectional control or tag character)` });
    }
  }
  const reasons = findings.slice(0, 20).map((f) => f.message);
  if (findings.length > 20) reasons.push(`… and ${findings.length - 20} more`);
  return { allowed: findings.length === 0, findings, reasons };
}

/** One line the patch adds. */
export interface AddedLine {
  path: string;
  /** 1-based line number in the new file. */
  line: number;
  text: string;
}

/** The lines a unified diff adds, with their file and line number. */
export function addedLines(patch: string): AddedLine[] {
  const out: AddedLine[] = [];
  let path = '';
  let line = 0;
  let inHunk = false;
  for (const raw of patch.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      inHunk = false;
      path = '';
      continue;
    }
    if (!inHunk && raw.startsWith('+++ ')) {
      path = stripPrefix(unquote(raw.slice(4)));
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      inHunk = true;
      line = Number(hunk[1]);
      continue;
    }
    if (!inHunk) continue;
    if (raw.startsWith('+')) {
      out.push({ path, line, text: raw.slice(1) });
      line++;
    } else if (raw.startsWith(' ')) {
      line++;
    } else if (!raw.startsWith('-') && !raw.startsWith('\\')) {
      inHunk = false;
    }
  }
  return out;
}

/** Every path a patch names: old and new names, renames and copies, binary files and mode changes. */
export function changedPathsOfPatch(patch: string): string[] {
  const paths = new Set<string>();
  for (const raw of patch.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^(?:---|\+\+\+) (.+)$/.exec(raw))) {
      const p = unquote(m[1] ?? '');
      if (p !== '/dev/null') paths.add(stripPrefix(p));
    } else if ((m = /^(?:rename|copy) (?:from|to) (.+)$/.exec(raw))) {
      paths.add(unquote(m[1] ?? ''));
    } else if ((m = /^diff --git (.+)$/.exec(raw))) {
      for (const p of splitDiffHeader(m[1] ?? '')) paths.add(p);
    }
  }
  paths.delete('');
  return [...paths];
}

/** True when a `/`-separated path matches a glob (`**` any depth, `*` within a segment); case-insensitive. */
export function matchesGlob(path: string, glob: string): boolean {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'i').test(path.replace(/^\.\//, ''));
}

/** Long tokens on a line whose character entropy suggests random data (a key, a token). */
export function highEntropyStrings(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9+/=_-]{32,}/g)) {
    const token = match[0];
    // Hashes named by their algorithm (lock files, SRI) and plain hex digests are not secrets to refuse.
    const before = text.slice(Math.max(0, (match.index ?? 0) - 8), match.index);
    if (/(sha1|sha256|sha384|sha512|md5|h1:)-?$/i.test(before) || /^(sha1|sha256|sha384|sha512)-/i.test(token)) continue;
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

/** `a/x` → `x`, `b/x` → `x`. */
function stripPrefix(p: string): string {
  return p.replace(/^[ab]\//, '');
}

/** Undoes git's C-style quoting of unusual paths (`"a/tab\there"`). */
function unquote(p: string): string {
  const trimmed = p.replace(/\t$/, '');
  if (!trimmed.startsWith('"') || !trimmed.endsWith('"')) return trimmed;
  const body = trimmed.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body.charAt(++i);
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else {
      bytes.push(({ n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[next] ?? next.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The paths of a `diff --git a/x b/x` header; for unquoted names with spaces, only when both halves agree. */
function splitDiffHeader(rest: string): string[] {
  const quoted = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
  if (quoted) return [stripPrefix(unquote(quoted[1] ?? '')), stripPrefix(unquote(quoted[2] ?? ''))];
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half)) {
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (stripPrefix(a) === stripPrefix(b)) return [stripPrefix(a)];
  }
  return [];
}
