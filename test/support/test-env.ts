/**
 * A real Temporal dev server for tests (the installed CLI, through
 * TestWorkflowEnvironment.createLocal), with drydock's search attributes.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DRYDOCK_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { temporalBinary } from './temporal-binary';

/** Starts a dev server on free ports; call teardown() when done. */
export function startTestEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      searchAttributes: DRYDOCK_SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error'],
    },
  });
}
