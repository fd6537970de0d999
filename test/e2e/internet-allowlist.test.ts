/**
 * A goal whose repository allows the package registries in the agent phase
 * (issue 17, part 4), from start to PR on the real stack: `npm view` works
 * through the egress proxy, a host off the list is refused with the proxy's
 * message, the goal narrows the repository's list (the safer wins), every
 * request lands in the goal's artifacts, and the PR body summarises them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import { useAgentStack } from '../support/agent-stack';
import { docker } from '../support/docker';
import { gitIn, makeGitRepo } from '../support/git-fixtures';
import { readGoalResult } from '../../cli/goal-result';
import { EGRESS_PRESETS } from '../../activities/sandbox/egress-presets';

/** The npm registry's host (and PyPI's), as the package-registries preset names them. */
const NPM_HOST = EGRESS_PRESETS['package-registries'].find((h) => h.includes('npm'))!;

const stack = useAgentStack();

test('npm reaches its registry through the proxy, other hosts are refused, and the PR body says so', async () => {
  const repo = makeGitRepo('demo-repo');
  mkdirSync(path.join(repo, '.drydock'));
  writeFileSync(
    path.join(repo, '.drydock', 'environment.json'),
    JSON.stringify({ internet: { mode: 'allowlist', presets: ['package-registries'], domains: ['example.org'] } }),
  );
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'allow the package registries');
  stack.model.push({
    type: 'tool_calls',
    calls: [
      {
        name: 'shell',
        arguments: {
          command: `npm view left-pad version --fetch-retries=0 > VERSION.txt; curl -sS --max-time 10 http://example.org/ > REFUSED.txt; curl -sS --max-time 10 -X POST http://${NPM_HOST}/ >> REFUSED.txt; true`,
        },
      },
      { name: 'finish', arguments: { summary: 'recorded the version', rationale: 'npm view through the proxy' } },
    ],
  });
  const workflowId = `internet-${Math.random().toString(36).slice(2, 8)}`;
  const firstRequest = stack.model.requests.length;
  const result = (await stack.env.client.workflow
    .start('codingAgent', {
      taskQueue: AGENT_QUEUE,
      workflowId,
      args: [
        {
          repository: repo,
          goal: 'Record the version of left-pad',
          checks: ['grep -Eq "^[0-9]+\\.[0-9]+\\.[0-9]+$" VERSION.txt'],
          // The goal narrows the repository's list: example.org is no longer allowed, and only reads are.
          internet: { mode: 'allowlist', presets: ['package-registries'], methods: ['GET', 'HEAD', 'OPTIONS'] },
        },
      ],
    })
    .then(readGoalResult)) as GoalResult;
  expect(result.reason).toBeUndefined();
  expect(result.status).toBe('succeeded');

  const record = JSON.parse(
    readFileSync(path.join(stack.workers.config.dataDir, 'prs', `${result.pr!.id}.json`), 'utf8'),
  ) as { body: string; patch?: string };
  const branch = gitIn(repo, 'show', `${result.pr!.branch}:REFUSED.txt`);
  expect(branch).toContain("drydock internet policy: example.org is not on this goal's allowlist");
  expect(branch).toContain('drydock internet policy: POST is refused; this goal may only GET, HEAD, OPTIONS');
  expect(gitIn(repo, 'show', `${result.pr!.branch}:VERSION.txt`).trim()).toMatch(/^\d+\.\d+\.\d+$/);

  // The model is told which hosts it reaches (the narrowed list: no example.org) and how.
  const system = (
    stack.model.requests[firstRequest]!.body as { messages: Array<{ role: string; content: string }> }
  ).messages.find((m) => m.role === 'system')!.content;
  expect(system).toContain(`only these hosts: `);
  expect(system).toContain(NPM_HOST);
  expect(system).not.toContain('example.org');
  expect(system).toContain('plain-http methods: GET, HEAD, OPTIONS');
  expect(system).not.toContain('The sandbox has no network.');

  // The log is the goal's artifact: host, method, status, bytes of every request.
  const logDir = path.join(stack.workers.config.dataDir, 'artifacts', 'goals', workflowId, 'egress');
  const lines = readdirSync(logDir)
    .flatMap((f) => readFileSync(path.join(logDir, f), 'utf8').trim().split('\n'))
    .map((l) => JSON.parse(l) as { host: string; method: string; status: number; bytesIn: number });
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ host: NPM_HOST, method: 'CONNECT', status: 200 }),
      expect.objectContaining({ host: 'example.org', method: 'GET', status: 403 }),
      expect.objectContaining({ host: NPM_HOST, method: 'POST', status: 403 }),
    ]),
  );
  expect(record.body).toContain('## Internet (agent phase)');
  expect(record.body).toMatch(/\d+ requests, 2 refused by the policy/);
  expect(record.body).toMatch(new RegExp(`\\| \`${NPM_HOST.replace(/\./g, '\\.')}\` \\| \\d+ \\| 1 \\|`));
  expect(record.body).toMatch(/\| `example\.org` \| 1 \| 1 \|/);

  // The proxy's network goes with the sandbox.
  const networks = await docker.listNetworks({ filters: { label: [`drydock.goal=${workflowId}`] } });
  expect(networks.map((n) => n.Name)).toEqual([]);
  expect(existsSync(logDir)).toBe(true);
}, 180_000);
