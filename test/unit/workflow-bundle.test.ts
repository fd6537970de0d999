/** The prebuilt workflow bundle is used only while it matches the workflow sources. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildWorkflowBundle, prebuiltWorkflowBundle } from '../../workers/workflow-bundle';

// Inside the project, so the copied sources resolve the SDK from its node_modules.
const root = path.join(__dirname, '..', '..');
mkdirSync(path.join(root, '.data'), { recursive: true });
const tmp = mkdtempSync(path.join(root, '.data', 'bundle-test-'));
const sources = path.join(tmp, 'workflows');
const dist = path.join(tmp, 'dist');

beforeAll(() => {
  cpSync(path.join(root, 'workflows'), sources, { recursive: true });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('a built bundle is used until a workflow source changes, then the worker bundles at start again', async () => {
  expect(prebuiltWorkflowBundle({ sources, dist })).toBeUndefined();
  const file = await buildWorkflowBundle({ sources, dist });
  expect(readFileSync(file, 'utf8')).toContain('codingAgent');
  expect(prebuiltWorkflowBundle({ sources, dist })).toEqual({ codePath: file });

  const policy = path.join(sources, 'policy.ts');
  writeFileSync(policy, `${readFileSync(policy, 'utf8')}\n// edited\n`);
  expect(prebuiltWorkflowBundle({ sources, dist })).toBeUndefined();
}, 120_000);
