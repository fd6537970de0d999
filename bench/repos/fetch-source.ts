/**
 * Fetches a task's released source with the registry's own client, at run time,
 * into a cache outside the repository (DRYDOCK_BENCH_CACHE, else
 * ~/.cache/drydock/bench-repos): a PyPI sdist (`pip download --no-binary`), an npm
 * tarball (`npm pack`), a Go module zip (`go mod download`), a crate (`cargo
 * fetch` of a throwaway manifest). Each is unpacked once and reused.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { TaskSource } from './manifest';

const run = promisify(execFile);

/** The cache folder of fetched sources. */
export function benchCacheDir(): string {
  return process.env.DRYDOCK_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'drydock', 'bench-repos');
}

/** Runs a registry client; a failure names the command and carries its output. */
async function client(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${(e.stderr ?? '').trim().slice(-2000) || e.message}`);
  }
}

/** The one folder an archive unpacks to (or the folder itself when it holds several entries). */
async function unpack(archive: string, into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  await client('tar', ['-xf', archive, '-C', into, '--no-same-owner'], into);
  const entries = readdirSync(into, { withFileTypes: true });
  return entries.length === 1 && entries[0]!.isDirectory() ? path.join(into, entries[0]!.name) : into;
}

/** The only file in `dir` that ends with one of `suffixes`. */
function onlyFile(dir: string, suffixes: string[], what: string): string {
  const files = readdirSync(dir).filter((f) => suffixes.some((s) => f.endsWith(s)));
  if (files.length !== 1) throw new Error(`expected one ${what} in ${dir}, found ${files.length}: ${files.join(', ')}`);
  return path.join(dir, files[0]!);
}

/** Downloads the archive and returns the folder of the unpacked source (read-only use: callers copy it). */
async function fetchFresh(source: TaskSource, cache: string, into: string): Promise<string> {
  const { package: pkg, version } = source;
  const downloads = path.join(cache, 'downloads', source.registry, `${pkg.replace(/[/@]/g, '_')}-${version}`);
  mkdirSync(downloads, { recursive: true });
  switch (source.registry) {
    case 'pypi': {
      await client(
        'pip',
        ['download', '--quiet', '--no-binary', ':all:', '--no-deps', '-d', downloads, `${pkg}==${version}`],
        downloads,
      );
      return unpack(onlyFile(downloads, ['.tar.gz', '.zip', '.tar.bz2'], 'sdist'), into);
    }
    case 'npm': {
      await client('npm', ['pack', '--silent', '--pack-destination', downloads, `${pkg}@${version}`], downloads);
      return unpack(onlyFile(downloads, ['.tgz'], 'npm tarball'), into);
    }
    case 'go': {
      const out = await client('go', ['mod', 'download', '-json', `${pkg}@${version}`], downloads, {
        GOMODCACHE: path.join(cache, 'gomodcache'),
        GOFLAGS: '-mod=mod',
        GOTOOLCHAIN: 'local',
      });
      const info = JSON.parse(out) as { Dir?: string; Error?: string };
      if (!info.Dir) throw new Error(`go mod download ${pkg}@${version}: ${info.Error ?? 'no Dir'}`);
      const dest = path.join(into, path.basename(pkg));
      cpSync(info.Dir, dest, { recursive: true });
      // The module cache's files are read-only.
      await client('chmod', ['-R', 'u+w', dest], into);
      return dest;
    }
    case 'crates': {
      // A throwaway manifest that depends on exactly this version; cargo fetch puts the .crate in its cache.
      const cargoHome = path.join(cache, 'cargo-home');
      mkdirSync(path.join(downloads, 'src'), { recursive: true });
      writeFileSync(
        path.join(downloads, 'Cargo.toml'),
        `[package]\nname = "bench-fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n${pkg} = "=${version}"\n`,
      );
      writeFileSync(path.join(downloads, 'src', 'lib.rs'), '');
      await client('cargo', ['fetch', '--quiet'], downloads, { CARGO_HOME: cargoHome });
      const registries = path.join(cargoHome, 'registry', 'cache');
      const crate = readdirSync(registries)
        .map((r) => path.join(registries, r, `${pkg}-${version}.crate`))
        .find((f) => existsSync(f));
      if (!crate) throw new Error(`cargo fetch left no ${pkg}-${version}.crate under ${registries}`);
      return unpack(crate, into);
    }
  }
}

/** The unpacked source of a task's package, fetched once into the cache. */
export async function fetchSource(source: TaskSource): Promise<string> {
  const cache = benchCacheDir();
  const key = `${source.registry}-${source.package.replace(/[/@]/g, '_')}-${source.version}`;
  const done = path.join(cache, 'sources', `${key}.done`);
  const into = path.join(cache, 'sources', key);
  if (existsSync(done)) {
    const entries = readdirSync(into, { withFileTypes: true });
    return entries.length === 1 && entries[0]!.isDirectory() ? path.join(into, entries[0]!.name) : into;
  }
  rmSync(into, { recursive: true, force: true });
  const dir = await fetchFresh(source, cache, into);
  writeFileSync(done, `${new Date().toISOString()}\n`);
  return dir;
}
