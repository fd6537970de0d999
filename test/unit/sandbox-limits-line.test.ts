/** The `sandbox limits` line of `drydock status`. */
import { describeSandboxLimits } from '../../cli/goals';

test('names memory, CPUs, processes, disk and runtime; a disk that is not enforced says so', () => {
  expect(
    describeSandboxLimits({
      memoryBytes: 2 * 1024 ** 3,
      cpus: 2,
      pidsLimit: 512,
      diskBytes: 10 * 1024 ** 3,
      runtime: 'runc',
    }),
  ).toBe('memory 2 GiB (no swap), 2 CPUs, 512 processes, disk 10 GiB, runtime runc');
  expect(
    describeSandboxLimits({ memoryBytes: 512 * 1024 ** 2, cpus: 1, pidsLimit: 64, diskBytes: null, runtime: 'runsc' }),
  ).toBe('memory 512 MiB (no swap), 1 CPU, 64 processes, disk not size-limited, runtime runsc');
  expect(
    describeSandboxLimits({
      memoryBytes: 1.5 * 1024 ** 3,
      cpus: 0.5,
      pidsLimit: 100,
      diskBytes: 1024 ** 3 + 1,
      runtime: 'runc',
    }),
  ).toBe('memory 1.5 GiB (no swap), 0.5 CPUs, 100 processes, disk 1 GiB, runtime runc');
});
