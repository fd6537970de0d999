/**
 * Setup leaves nothing behind: after the setup script, every process it left
 * running is ended (one engine exec as the sandbox user stops and kills all
 * but the container's init and main process; the host then checks the
 * engine's process list), and files under the home folder, /tmp, /dev/shm and
 * the workspace that hold a setup secret (raw, base64, hex or URL-encoded, in
 * their content or their name) are removed. The patterns go to the sandbox's
 * grep on stdin, never on a command line; the log names removed files by path.
 */
import { failure } from '../../workflows/failures';
import Dockerode from 'dockerode';
import { secretEncodings } from '../security/secret-encodings';
import { Demultiplexer, type ByteSink } from '../sandbox/demultiplexer';
import { SANDBOX_USER } from '../sandbox/docker-sandbox';
import { WORKSPACE, type Sandbox } from '../sandbox/sandbox';

/** The folders a setup script can write (the root filesystem is read-only). */
export const SETUP_WRITABLE_DIRS: readonly string[] = ['/home/drydock', '/tmp', '/dev/shm', WORKSPACE];

/** Removed paths listed in the setup log; the rest are counted. */
const LISTED_PATHS = 50;

/** How long the host waits for the engine's process list to show only the init and main process. */
const SETTLE_MS = 3000;

/** What cleanUpAfterSetup needs. */
export interface SetupHygieneOptions {
  /** The engine the sandbox runs on (the process step runs as an engine exec, not through the command runner). */
  docker: Dockerode;
  /** The sandbox port, for the file step. */
  sandbox: Sandbox;
  containerId: string;
  /** The values of the setup secrets the script had; none: no file step. */
  secrets: readonly string[];
  /** Timeout of the file step; 300 s when absent. */
  searchTimeoutMs?: number;
}

/** What cleanUpAfterSetup did, for the setup log. */
export interface SetupHygieneReport {
  /** Processes still running after the setup (the command runner among them when it ran the setup), now ended. */
  processesEnded: number;
  /** Paths removed because they held a setup secret (content or name). */
  removed: string[];
  /** Setup secrets too short to search for. */
  tooShort: number;
}

/**
 * Stops every process but PID 1 (an init) and the init's first child (the
 * container's main process, told apart by its start time, which no later
 * process can have), kills them round by round until none is left (a fork
 * between rounds is caught by the next), then lets the main process go on.
 * It forks nothing while it kills: only bash builtins read /proc.
 */
const END_PROCESSES_SCRIPT = `
kill -STOP -1 2>/dev/null
main=
init=
read -r -d '' init 2>/dev/null </proc/1/cmdline
if [[ \${init##*/} == docker-init || \${init##*/} == tini ]]; then
  first=
  for d in /proc/[0-9]*; do
    pid=\${d#/proc/}
    [[ $pid == 1 || $pid == "$$" ]] && continue
    read -r st 2>/dev/null <"$d/stat" || continue
    f=(\${st##*) })
    [[ \${f[1]} == 1 && \${f[0]} != Z ]] || continue
    if [[ -z $first ]] || (( f[19] < first )); then first=\${f[19]}; main=$pid; fi
  done
fi
declare -A ended=()
for ((round = 0; round < 200; round++)); do
  victims=()
  for d in /proc/[0-9]*; do
    pid=\${d#/proc/}
    [[ $pid == 1 || $pid == "$$" || $pid == "$main" ]] && continue
    read -r st 2>/dev/null <"$d/stat" || continue
    f=(\${st##*) })
    [[ \${f[0]} == Z || \${f[0]} == X ]] && continue
    victims+=("$pid")
    ended[$pid]=1
  done
  (( \${#victims[@]} == 0 )) && break
  kill -KILL "\${victims[@]}" 2>/dev/null
  kill -STOP -1 2>/dev/null
done
[[ -n $main ]] && kill -CONT "$main" 2>/dev/null
# System V objects only: POSIX shared memory is files in /dev/shm, which the file step searches and names
# (util-linux 2.41's bare --all, in trixie, would remove them unnamed).
for t in shm msg sem; do ipcrm --all=$t 2>/dev/null; done
rm -f /dev/mqueue/* 2>/dev/null
printf 'ended %s\\n' "\${#ended[@]}"
`;

/**
 * Reads literal patterns from stdin (one a line) and removes every file under
 * the folders given as arguments whose content or path holds one; prints the
 * removed paths, NUL-separated. Folders and files the owner cannot read are
 * made readable first, so that nothing hides by its mode; symbolic links are
 * not followed, FIFOs and devices not read.
 */
const REMOVE_FILES_SCRIPT = `
export LC_ALL=C
mapfile -t lines
patterns=()
for p in "\${lines[@]}"; do [[ -n $p ]] && patterns+=("$p"); done
(( \${#patterns[@]} > 0 )) || exit 0
dirs=()
for d in "$@"; do [[ -d $d && ! -L $d ]] && dirs+=("$d"); done
(( \${#dirs[@]} > 0 )) || exit 0
find "\${dirs[@]}" -type d ! -perm -u=rwx -exec chmod u+rwx {} \\; -o -type f ! -perm -u=r -exec chmod u+r {} + 2>/dev/null
{
  grep -rlZ -F -D skip -f <(printf '%s\\n' "\${patterns[@]}") -- "\${dirs[@]}" 2>/dev/null
  find "\${dirs[@]}" -mindepth 1 -print0 2>/dev/null | grep -zF -f <(printf '%s\\n' "\${patterns[@]}")
} | sort -zu | while IFS= read -r -d '' f; do
  if [[ -e $f || -L $f ]] && rm -rf -- "$f"; then printf '%s\\0' "$f"; fi
done
exit 0
`;

/**
 * Ends the setup phase's processes and removes files holding its secrets.
 * A process still there after the kill is a retryable failure; the report says
 * what was done (paths, never values).
 */
export async function cleanUpAfterSetup(o: SetupHygieneOptions): Promise<SetupHygieneReport> {
  const processesEnded = await endSetupProcesses(o.docker, o.containerId);
  const patterns = [...new Set(o.secrets.flatMap(secretEncodings))];
  const tooShort = o.secrets.filter((s) => secretEncodings(s).length === 0).length;
  const removed =
    patterns.length > 0
      ? await removeSecretFiles(o.sandbox, o.containerId, patterns, o.searchTimeoutMs ?? 300_000)
      : [];
  return { processesEnded, removed, tooShort };
}

/** The setup log's lines for a hygiene report; `forms` are hidden in paths (a file may be named after a secret). */
export function hygieneLog(report: SetupHygieneReport, secrets: readonly string[]): string {
  const forms = [...new Set(secrets.flatMap(secretEncodings))].sort((a, b) => b.length - a.length);
  const shown = (p: string) =>
    forms.reduce((text, f) => text.split(f).join('[secret]'), p).replace(/[\x00-\x1f\x7f]/g, '?');
  const lines = [
    `[drydock] ended ${report.processesEnded} process${report.processesEnded === 1 ? '' : 'es'} still running after the setup`,
  ];
  if (secrets.length > 0) {
    lines.push(
      `[drydock] removed ${report.removed.length} file${report.removed.length === 1 ? '' : 's'} holding a setup secret`,
    );
    for (const p of report.removed.slice(0, LISTED_PATHS)) lines.push(`[drydock]   removed ${shown(p)}`);
    if (report.removed.length > LISTED_PATHS)
      lines.push(`[drydock]   … and ${report.removed.length - LISTED_PATHS} more`);
  }
  if (report.tooShort > 0)
    lines.push(`[drydock] ${report.tooShort} setup secret(s) shorter than 8 characters were not searched for`);
  return `${lines.join('\n')}\n`;
}

/** Kills every process of the setup phase but the init and main process, and checks with the engine that none is left; returns how many were ended. */
export async function endSetupProcesses(docker: Dockerode, containerId: string): Promise<number> {
  const container = docker.getContainer(containerId);
  const r = await engineExec(container, ['/bin/bash', '-c', END_PROCESSES_SCRIPT]);
  const ended = /ended (\d+)/.exec(r.stdout);
  if (r.exitCode !== 0 || !ended)
    throw new Error(`ending the setup's processes failed (exit ${r.exitCode}): ${r.stderr.slice(0, 300)}`);
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const left = leftoverProcesses(await container.top());
    if (left === 0) return Number(ended[1]);
    if (Date.now() > deadline) {
      throw failure(
        'SetupProcessesLeft',
        `${left} process${left === 1 ? '' : 'es'} of the setup phase still run${left === 1 ? 's' : ''} after every one was killed; the agent phase does not start beside them`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Processes in the engine's list besides the container's root process (its
 * init) and that init's one child (the main process). Zombies the init has
 * not reaped yet count: they are gone a moment later.
 */
export function leftoverProcesses(top: { Titles?: string[]; Processes?: string[][] }): number {
  const titles = top.Titles ?? [];
  const pidAt = titles.indexOf('PID');
  const ppidAt = titles.indexOf('PPID');
  const rows = top.Processes ?? [];
  if (pidAt < 0 || ppidAt < 0)
    throw new Error(`the engine's process list has no PID/PPID columns (${titles.join(', ')})`);
  const pids = new Set(rows.map((row) => row[pidAt]));
  const roots = rows.filter((row) => !pids.has(row[ppidAt]));
  if (roots.length !== 1) return rows.length - 1;
  const children = rows.filter((row) => row[ppidAt] === roots[0]?.[pidAt]);
  return rows.length - 1 - Math.min(children.length, 1);
}

/** Removes the files under the writable folders whose content or path holds a pattern; returns their paths. */
async function removeSecretFiles(
  sandbox: Sandbox,
  containerId: string,
  patterns: string[],
  timeoutMs: number,
): Promise<string[]> {
  const r = await sandbox.exec(
    containerId,
    ['/bin/bash', '-c', REMOVE_FILES_SCRIPT, 'hygiene', ...SETUP_WRITABLE_DIRS],
    {
      stdin: `${patterns.join('\n')}\n`,
      timeoutMs,
      maxOutputBytes: 4 * 1024 * 1024,
    },
  );
  if (r.exitCode !== 0 || r.timedOut)
    throw new Error(
      `removing files that hold a setup secret failed (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}): ${r.stderr.slice(0, 300)}`,
    );
  return r.stdout.split('\0').filter((p) => p !== '');
}

/** Output of an engine exec, capped. */
interface EngineExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv as the sandbox user by one engine exec (not through the command runner, which it may kill). */
async function engineExec(container: Dockerode.Container, argv: string[]): Promise<EngineExecResult> {
  const exec = await container.exec({
    Cmd: argv,
    User: SANDBOX_USER,
    WorkingDir: '/',
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({});
  const out = cappedSink();
  const err = cappedSink();
  const demux = new Demultiplexer(out, err);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      (stream as unknown as { destroy(): void }).destroy();
      reject(new Error('ending the setup processes took over 60 s'));
    }, 60_000);
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('end', () => (clearTimeout(timer), resolve()));
    stream.on('close', () => (clearTimeout(timer), resolve()));
    stream.on('error', (e: Error) => (clearTimeout(timer), reject(e)));
  });
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode, stdout: out.text(), stderr: err.text() };
}

/** A sink that keeps the first 64 KiB. */
function cappedSink(): ByteSink & { text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk: Buffer) {
      if (size >= 65_536) return;
      chunks.push(chunk.subarray(0, 65_536 - size));
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
