/**
 * Model endpoints are the operator's (issue 13, item 4): a goal started
 * through the Temporal client with its own model.baseUrl does not make the
 * agent worker send its OPENAI_API_KEY there. A capture server on 127.0.0.1
 * records every request: the goal's URL gets none and the goal fails
 * ModelEndpointNotAllowed; a URL the operator lists (DRYDOCK_MODEL_BASE_URLS)
 * does get the request, so the capture would see a leak.
 */
import { randomBytes } from 'crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalInput } from '../../workflows/types';
import { useAgentStack } from '../support/agent-stack';
import { makeGitRepo } from '../support/git-fixtures';
import { exportedHistory } from '../support/exported-history';

const RUN = randomBytes(3).toString('hex');
const MARKER = `CANARY${randomBytes(8).toString('hex')}`;
const FAKE_OPENAI_KEY = `sk-proj-${MARKER}Zq`;

/** One request as the capture server saw it. */
interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const captured: Captured[] = [];
let capture: http.Server;
let captureUrl = '';
const vars: Record<string, string> = { OPENAI_API_KEY: FAKE_OPENAI_KEY, DRYDOCK_MODEL: 'scripted' };

// Registered before the stack's hooks, so the allow-list names this server when the workers start.
beforeAll(async () => {
  capture = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: 'capture server: no', type: 'invalid_request_error', code: 'invalid_api_key' },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  captureUrl = `http://127.0.0.1:${(capture.address() as AddressInfo).port}`;
  vars.DRYDOCK_MODEL_BASE_URLS = `${captureUrl}/allowed/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => capture?.close(resolve));
});

const stack = useAgentStack({ vars });

async function failureOf(workflowId: string, input: GoalInput): Promise<{ type?: string; message: string }> {
  const err = await stack.env.client.workflow
    .execute('codingAgent', { taskQueue: AGENT_QUEUE, workflowId, args: [input] })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as { type?: string; message: string };
}

test("a goal's own model.baseUrl gets no request and no key; the goal fails ModelEndpointNotAllowed naming the URL and the variable", async () => {
  captured.length = 0;
  const workflowId = `endpoint-refused-${RUN}`;
  const cause = await failureOf(workflowId, {
    repository: makeGitRepo('demo-repo'),
    goal: 'Make the failing test in test/math.test.js pass',
    model: { name: 'scripted', baseUrl: `${captureUrl}/v1` },
  });
  expect(cause.type).toBe('ModelEndpointNotAllowed');
  expect(cause.message).toBe(
    `model endpoint ${captureUrl}/v1 is not allowed: a goal's model.baseUrl must be listed in DRYDOCK_MODEL_BASE_URLS on the agent worker`,
  );
  expect(captured).toEqual([]);
  // Neither endpoint was called: the scripted model (OPENAI_BASE_URL) was not asked either.
  expect(stack.model.requests).toEqual([]);
  const history = exportedHistory(stack.env, workflowId);
  expect(history).toContain('ModelEndpointNotAllowed');
  expect(history).not.toContain(MARKER);
}, 120_000);

test('an allow-listed base URL does get the request, with the key (the capture server sees what a leak would send)', async () => {
  captured.length = 0;
  const cause = await failureOf(`endpoint-allowed-${RUN}`, {
    repository: makeGitRepo('demo-repo'),
    goal: 'Make the failing test in test/math.test.js pass',
    model: { name: 'scripted', baseUrl: `${captureUrl}/allowed/v1/` },
  });
  expect(cause.type).toBe('ModelUnauthorized');
  expect(captured.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /allowed/v1/chat/completions']);
  expect(captured[0]?.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
}, 120_000);
