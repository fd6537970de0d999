/**
 * The sandbox policy as a value: resolved once from the operator's settings
 * (good values over the defaults, every bad value named), and turned into the
 * engine's container options in one place for sandboxes and services alike.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  hostConfigFor,
  policyOfContainer,
  POLICY_LABEL,
  sandboxContainerOptions,
} from '../../activities/sandbox/container-options';
import { serviceContainerOptions } from '../../activities/sandbox/services';
import {
  assertDisksFit,
  resolveSandboxPolicy,
  sameContainerPolicy,
  SandboxPolicyError,
  sandboxPolicyView,
  type SandboxHostFacts,
} from '../../activities/sandbox/sandbox-policy';
import { loadSeccompProfile, transformSeccompProfile } from '../../activities/sandbox/seccomp-profile';
import type { SandboxDisk, SandboxDisks } from '../../activities/sandbox/sandbox-disk';
import { loadConfig } from '../../workers/config';
import { sandboxPolicyOptions } from '../../workers/security-config';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
let dir: string;
let facts: SandboxHostFacts;

beforeAll(() => {
  // A small stand-in for drydock's profile (the real one comes from scripts/setup): fit for sandboxes.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-policy-'));
  const file = path.join(dir, 'seccomp-test.json');
  const profile = transformSeccompProfile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['read', 'socket', 'write'], action: 'SCMP_ACT_ALLOW', args: [] }],
  });
  fs.writeFileSync(file, JSON.stringify(profile));
  facts = {
    seccompProfile: { path: file, text: loadSeccompProfile(file) },
    runtimes: ['io.containerd.runc.v2', 'runc', 'runsc'],
  };
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('with nothing set: no network, 2 GiB without swap, 2 CPUs, 512 processes, no disk, the engine runtime, the runner on', () => {
  const policy = resolveSandboxPolicy({}, facts);
  expect(sandboxPolicyView(policy)).toEqual({
    network: { agent: 'none', setup: 'bridge-without-host', services: 'internal' },
    memoryBytes: 2 * GIB,
    swapBytes: 0,
    cpus: 2,
    pidsLimit: 512,
    diskBytes: null,
    runtime: null,
    writable: [
      { path: '/workspace', storage: 'volume', sizeBytes: null },
      // No disk: $HOME (package caches) is a volume beside the workspace, not memory.
      { path: '/home/drydock', storage: 'volume', sizeBytes: null },
      { path: '/tmp', storage: 'tmpfs', sizeBytes: GIB },
    ],
    seccompProfile: expect.stringMatching(/^seccomp-test@sha256:[0-9a-f]{12}$/),
    services: { images: [] },
    commandRunner: true,
  });
  // Services write to memory only: /tmp and $HOME.
  expect(policy.serviceWritable).toEqual([
    { path: '/tmp', storage: 'tmpfs', sizeBytes: GIB },
    { path: '/home/drydock', storage: 'tmpfs', sizeBytes: 256 * MIB },
  ]);
  // The view carries no host path; the policy knows where its profile is.
  expect(JSON.stringify(sandboxPolicyView(policy))).not.toContain(dir);
  expect(policy.seccompProfilePath).toBe(facts.seccompProfile.path);
});

test("the operator's environment becomes the policy: limits, runtime, disk, service images, runner", () => {
  const config = loadConfig({
    DRYDOCK_SANDBOX_MEMORY: '512m',
    DRYDOCK_SANDBOX_CPUS: '1.5',
    DRYDOCK_SANDBOX_PIDS: '256',
    DRYDOCK_SANDBOX_RUNTIME: 'runsc',
    DRYDOCK_SANDBOX_DISK: '4g',
    DRYDOCK_SERVICE_IMAGES: 'postgres:16, redis',
    DRYDOCK_SANDBOX_RUNNER: 'off',
  });
  const policy = resolveSandboxPolicy(sandboxPolicyOptions(config.security, config.commandRunner), facts);
  expect(policy).toMatchObject({
    memoryBytes: 512 * MIB,
    swapBytes: 0,
    cpus: 1.5,
    pidsLimit: 256,
    runtime: 'runsc',
    diskBytes: 4 * GIB,
    writable: [
      { path: '/workspace', storage: 'disk', sizeBytes: 4 * GIB },
      { path: '/home/drydock', storage: 'disk', sizeBytes: 4 * GIB },
      { path: '/tmp', storage: 'tmpfs', sizeBytes: GIB },
    ],
    services: { images: ['postgres:16', 'redis'] },
    commandRunner: false,
  });
});

test('every bad value is named at once; a runtime the engine does not list is refused', () => {
  let err: unknown;
  try {
    resolveSandboxPolicy(
      {
        memoryBytes: 1024,
        cpus: 0,
        pidsLimit: 3.5,
        diskBytes: 10 * MIB,
        runtime: 'nosuchruntime',
        serviceImages: ['ok', 'bad image'],
      },
      facts,
    );
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SandboxPolicyError);
  expect((err as SandboxPolicyError).problems).toEqual([
    'sandbox memory (DRYDOCK_SANDBOX_MEMORY) must be a whole number of bytes of at least 64 MiB, got 1024',
    'sandbox CPUs (DRYDOCK_SANDBOX_CPUS) must be between 0.1 and 256, got 0',
    'sandbox processes (DRYDOCK_SANDBOX_PIDS) must be a whole number between 16 and 1000000, got 3.5',
    'sandbox disk (DRYDOCK_SANDBOX_DISK) must be a whole number of bytes of at least 256 MiB, or none, got 10485760',
    'DRYDOCK_SANDBOX_RUNTIME=nosuchruntime, but the Docker engine lists only: io.containerd.runc.v2, runc, runsc',
    'DRYDOCK_SERVICE_IMAGES: "bad image" is not an image name',
  ]);
  expect(() => resolveSandboxPolicy({ runtime: 'run sc' }, facts)).toThrow(
    /DRYDOCK_SANDBOX_RUNTIME must be a runtime name such as runsc/,
  );
  expect(() => resolveSandboxPolicy({ cpus: Number.NaN }, facts)).toThrow(SandboxPolicyError);
  // Not looked up (no runtime list): the name is taken as given.
  expect(resolveSandboxPolicy({ runtime: 'runsc' }, { seccompProfile: facts.seccompProfile }).runtime).toBe('runsc');
});

test('one HostConfig builder: sandboxes and services get the same hardening and limits, each its own network and writable paths', () => {
  const policy = resolveSandboxPolicy({ memoryBytes: 512 * MIB, cpus: 0.5, pidsLimit: 100, runtime: 'runc' }, facts);
  const sandbox = sandboxContainerOptions(
    { name: 'drydock-x', image: 'img:1', labels: { 'drydock.goal': 'g' } },
    policy,
  ).HostConfig!;
  const service = serviceContainerOptions({
    name: 'drydock-x-svc-db',
    image: 'img:1',
    service: { name: 'db', command: 'x' },
    network: 'svc-net',
    labels: {},
    policy,
  }).HostConfig!;
  const shared = (h: typeof sandbox) => ({
    CapDrop: h.CapDrop,
    SecurityOpt: h.SecurityOpt,
    ReadonlyRootfs: h.ReadonlyRootfs,
    PidsLimit: h.PidsLimit,
    Memory: h.Memory,
    MemorySwap: h.MemorySwap,
    NanoCpus: h.NanoCpus,
    Runtime: (h as { Runtime?: string }).Runtime,
    Init: h.Init,
  });
  expect(shared(sandbox)).toEqual({
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges', `seccomp=${facts.seccompProfile.text}`],
    ReadonlyRootfs: true,
    PidsLimit: 100,
    Memory: 512 * MIB,
    MemorySwap: 512 * MIB,
    NanoCpus: 0.5e9,
    Runtime: 'runc',
    Init: true,
  });
  expect(shared(service)).toEqual(shared(sandbox));
  expect(sandbox.NetworkMode).toBe('none');
  expect(service.NetworkMode).toBe('svc-net');
  expect(sandbox.Tmpfs).toEqual({ '/tmp': 'rw,exec,nosuid,nodev,uid=1000,gid=1000,mode=1777,size=1g' });
  expect(service.Tmpfs).toEqual({
    '/home/drydock': 'rw,exec,nosuid,nodev,uid=1000,gid=1000,mode=0755,size=256m',
    '/tmp': 'rw,exec,nosuid,nodev,uid=1000,gid=1000,mode=1777,size=1g',
  });
  for (const target of ['/workspace', '/home/drydock'])
    expect(sandbox.Mounts?.find((m) => m.Target === target)).toEqual({ Type: 'volume', Source: '', Target: target });
  expect(service.Mounts).toEqual([]);
  // Without a runtime the engine's default runs it: no Runtime key at all.
  expect(hostConfigFor(resolveSandboxPolicy({}, facts), { kind: 'sandbox' })).not.toHaveProperty('Runtime');
});

test("a policy with a disk binds /workspace and $HOME from the container's disk; without one made, nothing is created", () => {
  const policy = resolveSandboxPolicy({ diskBytes: GIB }, facts);
  const disk: SandboxDisk = { id: 'd1', sizeBytes: GIB, workspace: '/run/d1/workspace', home: '/run/d1/home' };
  const options = sandboxContainerOptions({ name: 'drydock-d', image: 'img:1' }, policy, disk);
  expect(options.HostConfig!.Mounts!.slice(0, 2)).toEqual([
    { Type: 'bind', Source: '/run/d1/workspace', Target: '/workspace' },
    { Type: 'bind', Source: '/run/d1/home', Target: '/home/drydock' },
  ]);
  expect(Object.keys(options.HostConfig!.Tmpfs!)).toEqual(['/tmp']);
  expect(() => sandboxContainerOptions({ name: 'drydock-d', image: 'img:1' }, policy)).toThrow(
    /puts \/workspace on the sandbox's disk, but the container has no disk/,
  );
  // The disks a sandbox is given must be the policy's.
  expect(() => assertDisksFit(policy, undefined)).toThrow(
    /disk is 1073741824 bytes, but the sandbox disks given are none/,
  );
  expect(() => assertDisksFit(policy, { sizeBytes: GIB } as SandboxDisks)).not.toThrow();
});

test('a sandbox carries its policy on a label; one without (or with an unreadable one) has none', () => {
  const policy = resolveSandboxPolicy({ pidsLimit: 64 }, facts);
  const labels = sandboxContainerOptions({ name: 'drydock-l', image: 'img:1', labels: { a: 'b' } }, policy).Labels!;
  expect(labels.a).toBe('b');
  expect(policyOfContainer(labels)).toEqual(sandboxPolicyView(policy));
  expect(policyOfContainer({})).toBeUndefined();
  expect(policyOfContainer({ [POLICY_LABEL]: 'not json' })).toBeUndefined();
  expect(policyOfContainer({ [POLICY_LABEL]: '{"memoryBytes":"lots"}' })).toBeUndefined();
});

test('a warm container serves a sandbox whose policy makes the same container, whatever its runner or service images', () => {
  const base = resolveSandboxPolicy({}, facts);
  expect(
    sameContainerPolicy(base, resolveSandboxPolicy({ commandRunner: false, serviceImages: ['postgres:16'] }, facts)),
  ).toBe(true);
  expect(sameContainerPolicy(base, resolveSandboxPolicy({ pidsLimit: 128 }, facts))).toBe(false);
  expect(sameContainerPolicy(base, resolveSandboxPolicy({ diskBytes: GIB }, facts))).toBe(false);
  expect(sameContainerPolicy(base, resolveSandboxPolicy({ runtime: 'runsc' }, facts))).toBe(false);
});

test('a sandbox with a toolchain view mounts the Node cache and its view read-only and puts the view first on PATH', () => {
  const policy = resolveSandboxPolicy({}, facts);
  const view = {
    id: 'v0123456789abcdef',
    dir: '/cache/toolchains/views/v0123456789abcdef',
    nodeCache: '/cache/toolchains/node',
  };
  const options = sandboxContainerOptions({ name: 'drydock-t', image: 'img:1' }, policy, undefined, view);
  expect(options.HostConfig!.Mounts!.filter((m) => m.Target.startsWith('/opt/drydock/toolchain'))).toEqual([
    { Type: 'bind', Source: '/cache/toolchains/node', Target: '/opt/drydock/toolchains/node', ReadOnly: true },
    { Type: 'bind', Source: view.dir, Target: '/opt/drydock/toolchain', ReadOnly: true },
  ]);
  expect(options.Env).toContain(
    'PATH=/opt/drydock/toolchain/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  );
  expect(options.Labels!['drydock.toolchain-view']).toBe(view.id);
  // Without a view (a remote engine) nothing of the host is mounted for toolchains.
  const bare = sandboxContainerOptions({ name: 'drydock-t', image: 'img:1' }, policy);
  expect(bare.HostConfig!.Mounts!.some((m) => m.Target.startsWith('/opt/drydock/toolchain'))).toBe(false);
});
