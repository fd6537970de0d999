/** The idle limit of a streaming model call is policy: a default, and validation at the edge. */
import { compilePolicy, validatePolicy } from '../../workflows/policy';

test('modelIdleTimeoutSeconds defaults to 60 and takes 1 to 3600 whole seconds', () => {
  expect(compilePolicy({}).modelIdleTimeoutSeconds).toBe(60);
  expect(compilePolicy({ modelIdleTimeoutSeconds: 5 }).modelIdleTimeoutSeconds).toBe(5);
  expect(validatePolicy({ modelIdleTimeoutSeconds: 5 })).toEqual([]);
  for (const bad of [0, 1.5, 4000, 'ten']) {
    expect(validatePolicy({ modelIdleTimeoutSeconds: bad })).toEqual([
      expect.stringContaining('policy.modelIdleTimeoutSeconds'),
    ]);
  }
});
