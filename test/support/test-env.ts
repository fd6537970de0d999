/**
 * A real Temporal dev server for tests (the installed CLI, through
 * TestWorkflowEnvironment.createLocal), with drydock's search attributes and
 * the dynamic config scripts/dev-server uses; with its web UI on request.
 */
import { createServer } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DRYDOCK_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { temporalBinary } from './temporal-binary';
import { devServerDynamicConfigArgs } from './dev-server-args';

/** Options of startTestEnvironment. */
export interface TestEnvironmentOptions {
  /** Serve the Temporal UI on this port (the dev server runs without UI otherwise). */
  uiPort?: number;
}

/** Starts a dev server on free ports; call teardown() when done. */
export function startTestEnvironment(options: TestEnvironmentOptions = {}): Promise<TestWorkflowEnvironment> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier environment in this process.
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      searchAttributes: DRYDOCK_SEARCH_ATTRIBUTES,
      ...(options.uiPort !== undefined ? { ui: true, uiPort: options.uiPort } : {}),
      extraArgs: ['--log-level', 'error', ...devServerDynamicConfigArgs()],
    },
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
