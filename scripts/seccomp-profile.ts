/**
 * scripts/setup's seccomp step (`node dist/scripts/seccomp-profile.js`): fetches
 * moby's default profile from the Go module proxy (`go mod download`), makes it
 * drydock's (activities/sandbox/seccomp-profile.ts), checks it, and writes it to
 * the cache keyed by the moby version and the transform's hash. Quick when the
 * cached profile is there already.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  MOBY_MODULE,
  MOBY_PROFILE_PATH,
  MOBY_VERSION,
  cachedSeccompProfilePath,
  checkSeccompProfile,
  transformSeccompProfile,
  type SeccompProfile,
} from '../activities/sandbox/seccomp-profile';

/** The module's folder in the Go module cache, downloaded when missing. */
async function downloadMobyModule(): Promise<string> {
  // Outside any module, so the download touches no go.mod.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-seccomp-'));
  try {
    const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', `${MOBY_MODULE}@${MOBY_VERSION}`], {
      cwd,
      env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
      timeout: 300_000,
      maxBuffer: 1024 * 1024,
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(info.Error ?? 'go mod download named no folder');
    return info.Dir;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        "Go is needed to fetch the Docker engine's default seccomp profile (https://go.dev/dl), or set DRYDOCK_SECCOMP_PROFILE to a profile of your own",
      );
    const detail = (e.stdout && (JSON.parse(e.stdout) as { Error?: string }).Error) || e.stderr || e.message;
    throw new Error(
      `go mod download ${MOBY_MODULE}@${MOBY_VERSION} failed (is the Go module proxy reachable?): ${String(detail).trim().split('\n')[0]}`,
    );
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/** Writes drydock's profile to the cache unless it is there; returns its path. */
export async function writeSeccompProfile(): Promise<{ file: string; written: boolean }> {
  const file = cachedSeccompProfilePath();
  if (fs.existsSync(file)) {
    const problems = checkSeccompProfile(JSON.parse(fs.readFileSync(file, 'utf8')) as SeccompProfile);
    if (problems.length === 0) return { file, written: false };
  }
  const dir = await downloadMobyModule();
  const moby = JSON.parse(fs.readFileSync(path.join(dir, MOBY_PROFILE_PATH), 'utf8')) as SeccompProfile;
  const profile = transformSeccompProfile(moby);
  const problems = checkSeccompProfile(profile);
  if (problems.length > 0) throw new Error(`the transformed profile is unfit: ${problems.join('; ')}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, `${JSON.stringify(profile, null, 1)}\n`);
  fs.renameSync(partial, file);
  return { file, written: true };
}

if (require.main === module) {
  writeSeccompProfile().then(
    ({ file, written }) =>
      process.stderr.write(
        `drydock: seccomp profile: ${file}${written ? ` (made from ${MOBY_MODULE}@${MOBY_VERSION})` : ''}\n`,
      ),
    (err: unknown) => {
      process.stderr.write(`drydock: seccomp profile: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
