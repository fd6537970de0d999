/**
 * The Node version a repository names outside the environment file, read on the
 * host from the base commit's objects (never a work tree): `.nvmrc` and
 * `.node-version` (first line) and package.json's `engines.node`. Only regular
 * files at the repository's root count; a symlink, a folder, a file too large or
 * a package.json that is not JSON names nothing.
 */
import { gitBuffer } from '../codehost/git';
import type { NodeHints } from './node-version';

/** Bytes of a hint file read. */
const MAX_HINT_BYTES = 256 * 1024;

/** The hints at a commit of the clone in dir. */
export async function readNodeHints(dir: string, commit: string): Promise<NodeHints> {
  const files = ['.nvmrc', '.node-version', 'package.json'];
  const listing = (
    await gitBuffer(['ls-tree', '-z', '-l', commit, '--', ...files], { cwd: dir, isolated: true })
  ).toString('utf8');
  const regular = new Set(
    listing
      .split('\0')
      .filter(Boolean)
      .map((e) => ({ fields: e.slice(0, e.indexOf('\t')).split(/\s+/), path: e.slice(e.indexOf('\t') + 1) }))
      .filter(({ fields }) => fields[1] === 'blob' && fields[0] !== '120000' && Number(fields[3]) <= MAX_HINT_BYTES)
      .map((e) => e.path),
  );
  const read = async (file: string): Promise<string | undefined> =>
    regular.has(file)
      ? (await gitBuffer(['cat-file', 'blob', `${commit}:${file}`], { cwd: dir, isolated: true })).toString('utf8')
      : undefined;
  const firstLine = (text: string | undefined) => text?.split('\n')[0]?.trim() || undefined;
  const hints: NodeHints = {};
  const nvmrc = firstLine(await read('.nvmrc'));
  if (nvmrc) hints.nvmrc = nvmrc;
  const nodeVersion = firstLine(await read('.node-version'));
  if (nodeVersion) hints.nodeVersion = nodeVersion;
  const engines = enginesNodeOf(await read('package.json'));
  if (engines) hints.enginesNode = engines;
  return hints;
}

/** package.json's engines.node when it is a non-empty string. */
function enginesNodeOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const node = (JSON.parse(text) as { engines?: { node?: unknown } } | null)?.engines?.node;
    return typeof node === 'string' && node.trim() !== '' ? node.trim() : undefined;
  } catch {
    return undefined;
  }
}
