/**
 * A real Temporal dev server for tests (the installed CLI, through
 * TestWorkflowEnvironment.createLocal), with drydock's search attributes and
 * the dynamic config scripts/dev-server uses.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DRYDOCK_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { temporalBinary } from './temporal-binary';
import { devServerDynamicConfigArgs } from './dev-server-args';

/** Starts a dev server on free ports; call teardown() when done. */
export function startTestEnvironment(): Promise<TestWorkflowEnvironment> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier environment in this process.
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      searchAttributes: DRYDOCK_SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error', ...devServerDynamicConfigArgs()],
    },
  });
}
