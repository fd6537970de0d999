/**
 * The prebuilt workflow bundle: `npm run build` bundles workflows/ once into
 * dist/workflow-bundle.js, so a worker starts without running webpack. A worker
 * uses it only when it was built from the workflow sources and SDK as they are
 * now (a hash in dist/workflow-bundle.json); otherwise it bundles at start.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { projectRoot } from '../activities/find-above';

const ROOT = projectRoot();
/** Where the bundle and its hash are written. */
const DIST = path.join(ROOT, 'dist');
const BUNDLE_FILE = 'workflow-bundle.js';
const HASH_FILE = 'workflow-bundle.json';
/** The workflow sources, as TypeScript (the bundler compiles them itself). */
const SOURCES = path.join(ROOT, 'workflows');

/** A hash of every workflow source file and the workflow SDK's version. */
export function workflowSourcesHash(sources: string = SOURCES): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(sources)
    .filter((n) => n.endsWith('.ts'))
    .sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(path.join(sources, name)))
      .update('\0');
  }
  for (const pkg of ['@temporalio/workflow', '@temporalio/common']) {
    hash.update(pkg).update(JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version as string);
  }
  return hash.digest('hex');
}

/** Workflow interceptor modules every drydock bundle carries: goals by outcome (drydock_goals). */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve(path.join(__dirname, '..', 'workflows', 'goal-metrics-interceptor')),
];

/** Where the bundle lives: dist/ of the project by default. */
export interface WorkflowBundleOptions {
  sources?: string;
  dist?: string;
}

/** The prebuilt bundle when it matches the sources, else undefined. */
export function prebuiltWorkflowBundle({ sources = SOURCES, dist = DIST }: WorkflowBundleOptions = {}):
  { codePath: string } | undefined {
  try {
    const built = JSON.parse(readFileSync(path.join(dist, HASH_FILE), 'utf8')) as { hash?: string };
    const codePath = path.join(dist, BUNDLE_FILE);
    if (built.hash !== workflowSourcesHash(sources) || !existsSync(codePath)) return undefined;
    return { codePath };
  } catch {
    return undefined;
  }
}

/** Bundles the workflow sources and writes the bundle with its hash; returns the bundle's path. */
export async function buildWorkflowBundle({
  sources = SOURCES,
  dist = DIST,
}: WorkflowBundleOptions = {}): Promise<string> {
  const hash = workflowSourcesHash(sources);
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(sources, 'index.ts'),
    workflowInterceptorModules: [path.join(sources, 'goal-metrics-interceptor.ts')],
    logger: new DefaultLogger('WARN'),
  });
  await mkdir(dist, { recursive: true });
  const codePath = path.join(dist, BUNDLE_FILE);
  await writeFile(codePath, code);
  await writeFile(path.join(dist, HASH_FILE), `${JSON.stringify({ hash, builtAt: new Date().toISOString() })}\n`);
  return codePath;
}
