/**
 * A goal whose repository declares a service: the service runs beside the
 * sandbox, the checks reach it by name in the agent phase, and it is gone
 * with the sandbox when the goal ends.
 */
import { writeFileSync, mkdirSync } from 'fs';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import { SIDECAR_OF_LABEL } from '../../activities/sandbox/services';
import { useAgentStack } from '../support/agent-stack';
import { docker } from '../support/docker';
import { gitIn, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';

const stack = useAgentStack();

test('the checks reach a declared service by name; the service goes with the sandbox', async () => {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, '.drydock'));
  writeFileSync(
    path.join(repo, '.drydock', 'environment.json'),
    JSON.stringify({
      services: [
        {
          name: 'api',
          command:
            'mkdir -p /tmp/www && echo pong > /tmp/www/ping && exec python3 -m http.server 8080 --directory /tmp/www',
          ready: 'python3 -c "import urllib.request; urllib.request.urlopen(\'http://localhost:8080/ping\')"',
        },
      ],
    }),
  );
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'declare a service');
  stack.model.push({
    type: 'tool_calls',
    calls: [
      { name: 'write_file', arguments: { path: 'PING.md', content: 'the api answers\n' } },
      { name: 'finish', arguments: { summary: 'checked the api', rationale: 'it answers pong' } },
    ],
  });
  const workflowId = `services-${Math.random().toString(36).slice(2, 8)}`;
  const result = (await stack.env.client.workflow
    .start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId,
      args: [
        {
          repository: repo,
          goal: 'Check that the api answers',
          checks: [
            'test "$(curl -sf --max-time 5 http://api:8080/ping)" = pong',
            '! curl -sf --max-time 3 http://172.17.0.1:1/',
          ],
        },
      ],
    })
    .then(readGoalResult)) as GoalResult;
  expect(result.reason).toBeUndefined();
  expect(result.status).toBe('succeeded');
  expect(result.checks.every((c) => c.passed)).toBe(true);
  const left = await docker.listContainers({ all: true, filters: { label: [`drydock.goal=${workflowId}`] } });
  expect(left.map((c) => c.Labels[SIDECAR_OF_LABEL] ?? c.Names[0])).toEqual([]);
}, 120_000);
