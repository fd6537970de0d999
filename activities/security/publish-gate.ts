/**
 * The publish gate: a pure check of a change before it becomes a pull request.
 * It refuses changes to protected paths (CI configuration, agent instructions,
 * credential files) unless the goal's policy allows them, symlinks at, into or
 * out of them (or out of the repository), secrets on added lines (token shapes
 * as written, encoded or split, known secret values in any form, high-entropy
 * strings), and hidden Unicode controls on added lines. Binary files are
 * scanned as bytes.
 */
import { isUtf8 } from 'node:buffer';
import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { ChangedFile } from '../shared/changed-file';
import { scanAddedLines, type ScanLine } from './content-scan';
import { parsePatchFiles, type PatchFile } from './patch-files';
import { secretFormsOf, type SecretForm } from './secret-encodings';

export { addedLines, changedPathsOfPatch, type AddedLine } from './patch-files';
export { highEntropyStrings, shannonEntropy } from './content-scan';

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
const LOCK_FILES =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|go\.sum|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|uv\.lock)$/;

/** Git's mode of a symlink. */
const SYMLINK_MODE = '120000';

/** What the gate is given. */
export interface PublishGateOptions {
  /** The change as a host-made `git diff-tree -p -a --full-index` wrote it; bytes, so binary files are read as bytes. */
  patch: string | Buffer;
  /** The changed files (modes, binary, symlink targets), made on the host with the patch. */
  files?: readonly ChangedFile[];
  /** Changed paths only (older callers); joined with the files' and the patch's paths. */
  paths?: readonly string[];
  /** Globs of protected paths the goal's policy allows (picomatch: braces, extglobs, classes). */
  allowProtectedPaths?: readonly string[];
  /** Secret values the worker knows (model key, code-host token, setup secrets); shorter than 8 characters are ignored. */
  knownSecrets?: readonly string[];
}

/** One reason the gate refused a change. */
export interface GateFinding {
  kind: 'protected-path' | 'symlink-escape' | 'secret' | 'known-secret' | 'high-entropy' | 'hidden-unicode';
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
  const allow = options.allowProtectedPaths ?? [];
  const patchFiles = parsePatchFiles(options.patch);
  const files = options.files ?? [];
  const knownForms = secretFormsOf(options.knownSecrets ?? []);
  const paths = new Set([...(options.paths ?? []), ...files.map((f) => f.path), ...patchFiles.flatMap((f) => f.paths)]);
  paths.delete('');
  const findings: GateFinding[] = [];
  for (const path of [...paths].sort()) {
    const rule = protectedRuleOf(path);
    if (rule && !isAllowed(path, allow))
      findings.push({
        kind: 'protected-path',
        path,
        message: `${shown(path)} is a protected path (${rule}); ${NOT_ALLOWED}`,
      });
    for (const form of knownForms) {
      if (path.includes(form.value))
        findings.push({
          kind: 'known-secret',
          path,
          message: `a changed path holds a known secret value${form.encoding === 'raw' ? '' : ` (${form.encoding})`}`,
        });
    }
  }
  for (const link of symlinksOf(patchFiles, files)) findings.push(...judgeSymlink(link.path, link.target, allow));
  const binaryPaths = new Set(files.filter((f) => f.binary).map((f) => f.path));
  for (const file of patchFiles) findings.push(...scanFile(file, binaryPaths.has(file.path), knownForms));
  const unique = findings.filter(
    (f, i) => findings.findIndex((g) => g.message === f.message && g.path === f.path && g.line === f.line) === i,
  );
  const reasons = unique.slice(0, 20).map((f) => f.message);
  if (unique.length > 20) reasons.push(`… and ${unique.length - 20} more`);
  return { allowed: unique.length === 0, findings: unique, reasons };
}

const NOT_ALLOWED = "the goal's policy.allowProtectedPaths does not allow it";

/** True when a `/`-separated path matches a glob (picomatch: `**`, braces, extglobs, classes; dotfiles included; case-insensitive). */
export function matchesGlob(path: string, glob: string): boolean {
  return matcherOf(glob)(path.replace(/^(?:\.\/)+/, ''));
}

const matchers = new Map<string, (path: string) => boolean>();

function matcherOf(glob: string): (path: string) => boolean {
  let m = matchers.get(glob);
  if (!m) {
    m = picomatch(glob, { dot: true, nocase: true });
    matchers.set(glob, m);
  }
  return m;
}

/** The protected-path rule a path matches, if any. */
function protectedRuleOf(path: string): string | undefined {
  return PROTECTED_PATHS.find((glob) => matchesGlob(path, glob));
}

/** The rule whose fixed folder lies under `dir` (`.github` holds `.github/workflows/**`; the root holds them all), if any. */
function protectedRuleBelow(dir: string): string | undefined {
  const d = dir.toLowerCase();
  return PROTECTED_PATHS.find((glob) => {
    const base = picomatch.scan(glob).base.toLowerCase();
    if (base === '' || base.startsWith('**')) return false;
    return d === '' || base === d || base.startsWith(`${d}/`);
  });
}

function isAllowed(path: string, allow: readonly string[]): boolean {
  return allow.some((glob) => matchesGlob(path, glob));
}

/** A symlink the change leaves in the tree. */
interface SymlinkEntry {
  path: string;
  /** Undefined when neither the file list nor the patch says. */
  target: string | undefined;
}

/** The symlinks of the new tree, from the file list (mode 120000) and the patch (mode lines and the added target line). */
function symlinksOf(patchFiles: readonly PatchFile[], files: readonly ChangedFile[]): SymlinkEntry[] {
  const out: SymlinkEntry[] = [];
  const seen = new Set<string>();
  const push = (path: string, target: string | undefined) => {
    const key = `${path}\0${target ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, target });
  };
  const patchTargets = new Map<string, string>();
  for (const f of patchFiles) {
    if (f.deleted || f.newMode !== SYMLINK_MODE) continue;
    const target =
      f.added.length > 0
        ? f.added.map((a) => (typeof a.raw === 'string' ? a.raw : a.raw.toString('utf8'))).join('\n')
        : undefined;
    if (target !== undefined) patchTargets.set(f.path, target);
    push(f.path, target);
  }
  for (const f of files) {
    if (f.mode !== SYMLINK_MODE || f.status.startsWith('D')) continue;
    push(f.path, f.symlinkTarget ?? patchTargets.get(f.path));
  }
  // A link whose target one source knows is not also reported as unknown.
  return out.filter((l) => l.target !== undefined || !out.some((o) => o.path === l.path && o.target !== undefined));
}

/**
 * A symlink is judged by its own path and by its target resolved against the
 * link's folder: at or into a protected path (or a folder holding one) is
 * protected; a target outside the repository is refused.
 */
function judgeSymlink(path: string, target: string | undefined, allow: readonly string[]): GateFinding[] {
  const out: GateFinding[] = [];
  const below = protectedRuleBelow(path);
  if (below && !protectedRuleOf(path) && !isAllowed(path, allow)) {
    out.push({
      kind: 'protected-path',
      path,
      message: `${shown(path)} is a symlink where protected paths live (${below}); ${NOT_ALLOWED}`,
    });
  }
  if (target === undefined) {
    out.push({
      kind: 'symlink-escape',
      path,
      message: `${shown(path)} is a symlink whose target is unknown; it cannot be checked`,
    });
    return out;
  }
  const resolved = resolveLinkTarget(path, target);
  if (resolved === undefined) {
    out.push({
      kind: 'symlink-escape',
      path,
      message: `${shown(path)} is a symlink that points outside the repository (${shown(target)}); a change may not link out of it`,
    });
    return out;
  }
  const at = protectedRuleOf(resolved);
  const holds = at ? undefined : protectedRuleBelow(resolved);
  if ((at || holds) && !isAllowed(resolved, allow)) {
    const where = resolved === '' ? 'the repository root' : shown(resolved);
    out.push({
      kind: 'protected-path',
      path,
      message: at
        ? `${shown(path)} is a symlink to ${where}, a protected path (${at}); ${NOT_ALLOWED}`
        : `${shown(path)} is a symlink to ${where}, which holds protected paths (${holds}); ${NOT_ALLOWED}`,
    });
  }
  return out;
}

/** The repository path a link's target names ('' for the root), or undefined when it leaves the repository. */
export function resolveLinkTarget(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(linkPath), target));
  if (joined === '..' || joined.startsWith('../') || joined.startsWith('/')) return undefined;
  return joined === '.' ? '' : joined.replace(/\/+$/, '');
}

/** The content findings of one file of the patch. */
function scanFile(file: PatchFile, listedBinary: boolean, knownForms: readonly SecretForm[]): GateFinding[] {
  if (file.added.length === 0) return [];
  const binary =
    listedBinary ||
    file.binaryMarker ||
    file.added.some((a) => (typeof a.raw === 'string' ? a.raw.includes('\0') : a.raw.includes(0)));
  const lines: ScanLine[] = file.added.map((a) => ({
    line: a.line,
    text: typeof a.raw === 'string' ? a.raw : a.raw.toString(binary ? 'latin1' : 'utf8'),
    utf8: binary ? utf8TextOf(a.raw) : undefined,
  }));
  return scanAddedLines(lines, { binary, lockFile: LOCK_FILES.test(file.path), knownForms }).map((f) => ({
    kind: f.kind,
    path: file.path,
    line: f.line,
    message: `${shown(file.path)}:${f.line} ${f.message}`,
  }));
}

/** A line as UTF-8 text, when it is valid UTF-8 without NUL (undefined for binary data). */
function utf8TextOf(raw: string | Buffer): string | undefined {
  if (typeof raw === 'string') return raw.includes('\0') || raw.includes('\ufffd') ? undefined : raw;
  return raw.includes(0) || !isUtf8(raw) ? undefined : raw.toString('utf8');
}

/** A path or target for a message: control characters escaped, long ones cut. */
function shown(text: string): string {
  const cut = text.length > 200 ? `${text.slice(0, 199)}…` : text;
  return /[\u0000-\u001f\u007f-\u009f]/.test(cut) ? JSON.stringify(cut) : cut;
}
