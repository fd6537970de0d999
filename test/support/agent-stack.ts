/**
 * The stack an end-to-end suite runs a goal on: a real dev server, the real
 * workers in this process, and the scripted model server. Registers the jest
 * hooks that start and stop it, and that check after every test that the
 * model was sent what the script expected and played every turn.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { removeGitRepos } from './git-fixtures';
import { startScriptedModelServer, type ScriptedModelServer } from '../../scripted-model';
import { freePort, startTestEnvironment } from './test-env';
import { startWorkers, type RunningWorkers } from './workers';

/** The running stack; its fields are set once beforeAll has run. */
export interface AgentStack {
  env: TestWorkflowEnvironment;
  workers: RunningWorkers;
  model: ScriptedModelServer;
  /** The Temporal UI's base URL (`http://localhost:<port>`), when the stack was started with `ui: true`. */
  uiUrl?: string;
}

/** Options of useAgentStack. */
export interface AgentStackOptions {
  /** Worker environment on top of the scripted model's URL and key. */
  vars?: Record<string, string>;
  /** Runs before the dev server starts (e.g. to install a capturing logger). */
  beforeStart?: () => void;
  /** Serve the Temporal UI on a free port (see AgentStack.uiUrl). */
  ui?: boolean;
}

/** Starts the stack before the suite and stops it after; returns the (filled-in-later) stack. */
export function useAgentStack(options: AgentStackOptions = {}): AgentStack {
  const stack = {} as AgentStack;
  beforeAll(async () => {
    options.beforeStart?.();
    const uiPort = options.ui ? await freePort() : undefined;
    stack.env = await startTestEnvironment({ uiPort });
    if (uiPort !== undefined) stack.uiUrl = `http://localhost:${uiPort}`;
    stack.model = await startScriptedModelServer({ script: [] });
    stack.workers = await startWorkers(stack.env, {
      OPENAI_BASE_URL: stack.model.url,
      OPENAI_API_KEY: 'scripted-key',
      // DRYDOCK_TEST_MODEL_API=responses runs every suite on this stack over the Responses API.
      DRYDOCK_MODEL_API: process.env.DRYDOCK_TEST_MODEL_API ?? 'chat',
      ...options.vars,
    });
  }, 120_000);
  afterAll(async () => {
    await stack.workers?.stop();
    await stack.model?.close();
    await stack.env?.teardown();
    removeGitRepos();
  });
  beforeEach(() => {
    stack.model.failures.length = 0;
    stack.model.requests.length = 0;
  });
  afterEach(() => {
    expect(stack.model.failures).toEqual([]);
    expect(stack.model.remaining()).toBe(0);
  });
  return stack;
}
