/** The sandbox policy in words: the `sandbox policy` line of `drydock status` and the PR body's sandbox line. */
import { describeSandboxIsolation, describeSandboxPolicy } from '../../activities/shared/sandbox-policy-text';
import { pullRequestBody, type PullRequestTextOptions } from '../../activities/codehost/pr-body';
import type { SandboxPolicyView } from '../../workflows/types';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** The policy of a worker with a 10 GiB disk and one extra service image. */
const POLICY: SandboxPolicyView = {
  network: { agent: 'none', setup: 'bridge-without-host', services: 'internal' },
  memoryBytes: 2 * GIB,
  swapBytes: 0,
  cpus: 2,
  pidsLimit: 512,
  diskBytes: 10 * GIB,
  runtime: null,
  writable: [
    { path: '/workspace', storage: 'disk', sizeBytes: 10 * GIB },
    { path: '/home/drydock', storage: 'disk', sizeBytes: 10 * GIB },
    { path: '/tmp', storage: 'tmpfs', sizeBytes: GIB },
  ],
  seccompProfile: 'seccomp-moby-20.10.24-6b148cf27546@sha256:0123456789ab',
  services: { images: ['postgres:16'] },
  commandRunner: true,
};

test('the status line names network per phase, writable paths and their sizes, seccomp profile, service images and the runner', () => {
  expect(describeSandboxIsolation(POLICY)).toBe(
    'network none (setup: bridge without host; services: internal), writable /workspace + /home/drydock (disk 10 GiB), /tmp (tmpfs 1 GiB), ' +
      'seccomp seccomp-moby-20.10.24-6b148cf27546@sha256:0123456789ab, service images: the sandbox image, postgres:16, command runner on',
  );
  const noDisk: SandboxPolicyView = {
    ...POLICY,
    diskBytes: null,
    writable: [
      { path: '/workspace', storage: 'volume', sizeBytes: null },
      { path: '/home/drydock', storage: 'tmpfs', sizeBytes: 256 * MIB },
      { path: '/tmp', storage: 'tmpfs', sizeBytes: GIB },
    ],
    services: { images: [] },
    commandRunner: false,
  };
  expect(describeSandboxIsolation(noDisk)).toBe(
    'network none (setup: bridge without host; services: internal), writable /workspace (volume, not size-limited), /home/drydock (tmpfs 256 MiB), /tmp (tmpfs 1 GiB), ' +
      'seccomp seccomp-moby-20.10.24-6b148cf27546@sha256:0123456789ab, service images: the sandbox image only, command runner off',
  );
});

test('the whole policy in one line: limits first (the engine default runtime said so), then the isolation', () => {
  expect(describeSandboxPolicy(POLICY)).toBe(
    `memory 2 GiB (no swap), 2 CPUs, 512 processes, disk 10 GiB, runtime engine default; ${describeSandboxIsolation(POLICY)}`,
  );
  expect(describeSandboxPolicy({ ...POLICY, runtime: 'runsc', swapBytes: 512 * MIB })).toMatch(
    /^memory 2 GiB \(swap 512 MiB\), 2 CPUs, 512 processes, disk 10 GiB, runtime runsc; /,
  );
});

test('the PR body names the sandbox policy the goal ran under, and says nothing of it when it is not known', () => {
  const text: PullRequestTextOptions = {
    goalId: 'g-1',
    goal: 'Fix it',
    summary: 'Fixed.',
    rationale: 'Because.',
    files: [],
    checks: [],
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    iterations: 1,
  };
  const body = pullRequestBody({ ...text, sandboxPolicy: POLICY });
  expect(body).toContain(`\n- sandbox: ${describeSandboxPolicy(POLICY)}\n`);
  expect(pullRequestBody(text)).not.toContain('- sandbox:');
});
