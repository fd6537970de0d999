/**
 * Setup leaves nothing behind (issue 13, item 5), against real Docker: a setup
 * script starts daemons that hold its secret in their environment and writes
 * the secret, its base64 (alone and inside a longer base64 text), its hex and
 * its URL encoding under ~, /tmp, /dev/shm and the workspace. After runSetup
 * only the container's init and main process run, those files are gone (the
 * rest is kept), the log names them by path and count but never the value, and
 * hostile agent-phase commands (`cat /proc/[0-9]*\/environ | base64`, greps for
 * every form) find nothing. The next command runs through the command runner.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { DockerSandbox } from '../../activities/sandbox/docker-sandbox';
import { DockerNetworks, setupNetworkName } from '../../activities/sandbox/docker-networks';
import { createPhaseActivities } from '../../activities/host/setup-phase';
import { resolveSandboxImage } from '../../activities/sandbox/image-tag';
import { environmentRecordKey } from '../../activities/host/goal-environment';
import { RUNNER_PATH_IN_SANDBOX } from '../../activities/sandbox/runner-binary';
import { secretEncodings } from '../../activities/security/secret-encodings';
import { FsArtifactStore } from '../../activities/store/fs-store';
import type { SandboxRef } from '../../workflows/types';

const docker = new Dockerode();
const sandbox = new DockerSandbox({ docker });
const networks = new DockerNetworks(docker);
const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
const SECRET = `npm_${randomBytes(12).toString('hex')}`;
const names: string[] = [];
let image: string;
let dataDir: string;
let store: FsArtifactStore;
let phases: ReturnType<typeof createPhaseActivities>;

/**
 * The engine's process list of a container as `command` lines, without the
 * command runner drydock started after the setup (the engine runs it beside
 * the init, so its parent is the init's parent).
 */
async function processes(id: string): Promise<string[]> {
  const top = await docker.getContainer(id).top({ ps_args: '-o pid,ppid,args' });
  const rows = (top.Processes ?? []) as string[][];
  const init = rows.find((r) => / -- sleep infinity$/.test(r[2] ?? ''));
  return rows
    .filter((r) => !(r[1] === init?.[1] && r !== init && r[2] === RUNNER_PATH_IN_SANDBOX))
    .map((r) => r[2] ?? '');
}

async function newSandbox(): Promise<SandboxRef> {
  const name = `drydock-test-hygiene-${tag}-${names.length}`;
  names.push(name);
  const { id } = await sandbox.create({ name, image, labels: { 'drydock.test': 'setup-hygiene' } });
  return { containerId: id, containerName: name, taskQueue: 'unused', host: 'test' };
}

/** Writes the goal's environment record (no .drydock/environment.json), as provisioning does. */
async function noEnvironmentFile(goalId: string): Promise<void> {
  await store.put(environmentRecordKey(goalId), JSON.stringify({ text: null }));
}

beforeAll(async () => {
  image = await resolveSandboxImage();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-hygiene-'));
  store = new FsArtifactStore(dataDir);
  phases = createPhaseActivities({ sandbox, store, networks, setupSecrets: { NPM_TOKEN: SECRET }, image });
}, 120_000);

afterAll(async () => {
  for (const name of names) {
    await sandbox.destroy(name);
    await networks.remove(setupNetworkName(name));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const DAEMONS_AND_FILES = `
set -e
# Daemons that keep the secret in their environment, one in its own session, one stopped.
export HELD="$NPM_TOKEN"
nohup sleep 1000 >/dev/null 2>&1 &
(setsid python3 -c 'import time; time.sleep(1000)' >/dev/null 2>&1 &)
(sleep 1001 >/dev/null 2>&1 & kill -STOP $!)
# The secret in files, raw and encoded.
echo "token=$NPM_TOKEN" > ~/.npmrc-copy
printf '%s' "$NPM_TOKEN" | base64 > /tmp/token.b64
printf 'prefix:%s:suffix' "$NPM_TOKEN" | base64 -w0 > /tmp/embedded.b64
printf 'ab%s' "$NPM_TOKEN" | base64 -w0 > ~/embedded2.b64
printf '%s' "$NPM_TOKEN" | od -An -tx1 | tr -d ' \\n' > /workspace/token.hex
python3 -c 'import os, urllib.parse; print(urllib.parse.quote("x y/" + os.environ["NPM_TOKEN"], safe=""))' > /workspace/token.url
mkdir -p /workspace/deep/er && cp ~/.npmrc-copy /workspace/deep/er/config
cp /tmp/token.b64 /dev/shm/token
touch "/tmp/named-$NPM_TOKEN"
mkdir -p /workspace/locked && echo "$NPM_TOKEN" > /workspace/locked/hidden && chmod 000 /workspace/locked
# Ordinary files stay.
mkdir -p /workspace/keep ~/.cache/keep && echo ordinary > /workspace/keep/file.txt && echo cached > ~/.cache/keep/file
echo "setup done"
`;

test('after runSetup no setup process runs, no file holds the secret in any form, and hostile commands find nothing', async () => {
  const ref = await newSandbox();
  const goalId = `hygiene-${tag}`;
  await noEnvironmentFile(goalId);
  // Commands run through the command runner (its children's parent is the runner, not the engine: PPID is not 0).
  const before = await sandbox.exec(ref.containerId, ['bash', '-c', 'echo $PPID']);
  expect(before.stdout.trim()).not.toBe('0');

  const setup = await phases.runSetup({
    sandbox: ref,
    goalId,
    setup: { script: DAEMONS_AND_FILES, secrets: ['NPM_TOKEN'] },
  });
  expect(setup.ran).toBe(true);

  // Only the init and the container's main process are left.
  const left = await processes(ref.containerId);
  expect(left).toHaveLength(2);
  expect(left).toEqual(['/sbin/docker-init -- sleep infinity', 'sleep infinity']);

  // The log says what was ended and removed, by path and count, never the value.
  const log = (await store.get(setup.logRef!)).toString('utf8');
  expect(log).toContain('setup done');
  // Three daemons and the command runner that ran the setup.
  expect(log).toContain('ended 4 processes still running after the setup');
  expect(log).toContain('removed 10 files holding a setup secret');
  for (const p of [
    '/home/drydock/.npmrc-copy',
    '/home/drydock/embedded2.b64',
    '/tmp/token.b64',
    '/tmp/embedded.b64',
    '/tmp/named-[secret]',
    '/dev/shm/token',
    '/workspace/token.hex',
    '/workspace/token.url',
    '/workspace/deep/er/config',
    '/workspace/locked/hidden',
  ]) {
    expect(log).toContain(`removed ${p}\n`);
  }
  for (const form of secretEncodings(SECRET)) expect(log).not.toContain(form);

  // The next command works, through the runner again.
  const after = await sandbox.exec(ref.containerId, [
    'bash',
    '-c',
    'echo $PPID; ls /workspace/keep ~/.cache/keep; ls /workspace /tmp ~ /dev/shm',
  ]);
  expect(after.exitCode).toBe(0);
  const [ppid, ...listing] = after.stdout.trim().split('\n');
  expect(ppid).not.toBe('0');
  expect(listing.join('\n')).toContain('file.txt');
  expect(listing.join(' ')).not.toMatch(/token|embedded|npmrc-copy|named-/);

  // A hostile model's commands: the environment of every process, base64-encoded, and greps for every form.
  const environ = await sandbox.exec(ref.containerId, [
    'bash',
    '-c',
    'cat /proc/[0-9]*/environ 2>/dev/null | base64 -w0',
  ]);
  const decoded = Buffer.from(environ.stdout, 'base64').toString('utf8');
  expect(decoded).toContain('HOME=');
  expect(decoded).not.toContain(SECRET);
  const grep = await sandbox.exec(
    ref.containerId,
    ['bash', '-c', 'grep -rlaF -f - / --exclude-dir=proc --exclude-dir=sys 2>/dev/null; true'],
    {
      stdin: `${secretEncodings(SECRET).join('\n')}\n`,
      timeoutMs: 120_000,
    },
  );
  expect(grep.stdout.trim()).toBe('');
}, 180_000);

test('a setup with no secrets ends its processes and searches no file; a goal with no setup skips it all', async () => {
  const ref = await newSandbox();
  const goalId = `hygiene-nosecret-${tag}`;
  await noEnvironmentFile(goalId);
  const setup = await phases.runSetup({
    sandbox: ref,
    goalId,
    setup: { script: 'nohup sleep 1000 >/dev/null 2>&1 & echo hi > /tmp/kept' },
  });
  expect(await processes(ref.containerId)).toEqual(['/sbin/docker-init -- sleep infinity', 'sleep infinity']);
  const log = (await store.get(setup.logRef!)).toString('utf8');
  expect(log).toContain('ended 2 processes still running after the setup');
  expect(log).not.toContain('holding a setup secret');
  expect((await sandbox.exec(ref.containerId, ['cat', '/tmp/kept'])).stdout).toBe('hi\n');

  const none = await newSandbox();
  await noEnvironmentFile(`hygiene-none-${tag}`);
  await sandbox.exec(none.containerId, ['bash', '-c', 'nohup sleep 1000 >/dev/null 2>&1 &']);
  expect(await phases.runSetup({ sandbox: none, goalId: `hygiene-none-${tag}` })).toEqual({ ran: false });
  // Nothing ran, so nothing was ended: the agent's own process is still there.
  expect((await processes(none.containerId)).some((p) => p.endsWith('sleep 1000'))).toBe(true);
}, 120_000);
