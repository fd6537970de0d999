/**
 * drydock's seccomp profile as data: the transform of the engine's default (a
 * small stand-in here; the real one is fetched by scripts/setup and tried in
 * test/integration/sandbox-seccomp.test.ts), the fitness check, and the loader's
 * one-line refusal.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  allowsSocketFamily,
  cachedSeccompProfilePath,
  checkSeccompProfile,
  loadSeccompProfile,
  SeccompProfileMissingError,
  transformSeccompProfile,
  type SeccompProfile,
} from '../../activities/sandbox/seccomp-profile';

/** The shape of moby's default: one long unconditional allow list, then conditional rules. */
const ENGINE_DEFAULT: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
  syscalls: [
    {
      names: [
        'accept',
        'io_uring_setup',
        'io_uring_enter',
        'io_uring_register',
        'read',
        'socket',
        'socketcall',
        'socketpair',
        'write',
      ],
      action: 'SCMP_ACT_ALLOW',
      args: [],
    },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['bpf', 'unshare'], action: 'SCMP_ACT_ALLOW', args: [], includes: { caps: ['CAP_SYS_ADMIN'] } },
  ],
};

test("the engine's default allows AF_VSOCK; drydock's does not, and keeps the families a sandbox uses", () => {
  expect(allowsSocketFamily(ENGINE_DEFAULT, 40)).toBe(true);
  expect(checkSeccompProfile(ENGINE_DEFAULT)).toContain('socket(AF_VSOCK) is allowed');

  const profile = transformSeccompProfile(ENGINE_DEFAULT);
  expect(checkSeccompProfile(profile)).toEqual([]);
  expect(allowsSocketFamily(profile, 40)).toBe(false);
  for (const family of [1, 2, 10, 16]) expect(allowsSocketFamily(profile, family)).toBe(true);
  // AF_ALG, AF_TIPC, AF_PACKET: kernel surface no build needs.
  for (const family of [38, 30, 17]) expect(allowsSocketFamily(profile, family)).toBe(false);
  // Family rules compare the low 32 bits only: the kernel reads the family as an int.
  for (const rule of profile.syscalls.filter((r) => r.names?.includes('socket'))) {
    expect(rule.args).toEqual([expect.objectContaining({ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: 0xffffffff })]);
  }
});

test('the transform drops socketcall and io_uring, and leaves every other rule as it was', () => {
  const profile = transformSeccompProfile(ENGINE_DEFAULT);
  const names = profile.syscalls.flatMap((r) => r.names ?? []);
  for (const gone of ['socketcall', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'])
    expect(names).not.toContain(gone);
  expect(profile.syscalls[0]!.names).toEqual(['accept', 'read', 'socketpair', 'write']);
  expect(profile.syscalls.slice(1, 3)).toEqual(ENGINE_DEFAULT.syscalls.slice(1, 3));
  expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
  expect(profile.archMap).toEqual(ENGINE_DEFAULT.archMap);
});

test('a "family != 40" rule is unfit: socket(0x100000028) passes it and the kernel opens AF_VSOCK', () => {
  const notVsock: SeccompProfile = {
    ...ENGINE_DEFAULT,
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    ],
  };
  expect(checkSeccompProfile(notVsock)).toEqual(['socket is allowed by a family != rule, which 0x100000028 passes']);
});

test('without a profile the loader refuses in one line naming scripts/setup; an unfit one is refused too', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drydock-seccomp-'));
  try {
    const missing = path.join(dir, 'missing.json');
    expect(() => loadSeccompProfile(missing)).toThrow(SeccompProfileMissingError);
    expect(() => loadSeccompProfile(missing)).toThrow(
      new RegExp(`^no seccomp profile for sandboxes at ${missing}: run scripts/setup`),
    );
    const unfit = path.join(dir, 'engine-default.json');
    fs.writeFileSync(unfit, JSON.stringify(ENGINE_DEFAULT));
    expect(() => loadSeccompProfile(unfit)).toThrow(/unfit for sandboxes \(socket\(AF_VSOCK\) is allowed\)/);
    const fit = path.join(dir, 'drydock.json');
    fs.writeFileSync(fit, JSON.stringify(transformSeccompProfile(ENGINE_DEFAULT), null, 2));
    const text = loadSeccompProfile(fit);
    expect(text).not.toContain('\n');
    expect(JSON.parse(text)).toEqual(transformSeccompProfile(ENGINE_DEFAULT));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the cached profile is keyed by the moby version and a hash of the transform', () => {
  expect(path.basename(cachedSeccompProfilePath({ DRYDOCK_CACHE_DIR: '/c' }))).toMatch(
    /^seccomp-moby-20\.10\.24-[0-9a-f]{12}\.json$/,
  );
  expect(path.dirname(cachedSeccompProfilePath({ DRYDOCK_CACHE_DIR: '/c' }))).toBe('/c');
});
