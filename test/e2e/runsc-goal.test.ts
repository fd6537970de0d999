/**
 * The demo goal with sandboxes under gVisor (DRYDOCK_SANDBOX_RUNTIME=runsc): it
 * succeeds with the fix published, every container of the goal ran under runsc,
 * and none is left. Runs when the engine lists runsc (`DRYDOCK_INSTALL_RUNSC=1 npm
 * run setup`); DRYDOCK_TEST_RUNSC=1 makes a missing runsc a failure.
 */
import { execFileSync } from 'child_process';
import { AGENT_QUEUE } from '../../workflows/queues';
import type { GoalResult } from '../../workflows/types';
import { readGoalResult } from '../../cli/goal-result';
import { loadScript } from '../../scripted-model';
import { useAgentStack } from '../support/agent-stack';
import { containersOfGoal, docker } from '../support/docker';
import { fixturePath, gitIn, makeGitRepo } from '../support/git-fixtures';

function engineListsRunsc(): boolean {
  try {
    return execFileSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' }).includes('"runsc"');
  } catch {
    return false;
  }
}
const listed = engineListsRunsc();
if (!listed && process.env.DRYDOCK_TEST_RUNSC === '1') {
  throw new Error(
    'DRYDOCK_TEST_RUNSC=1 but the Docker engine lists no runsc: run DRYDOCK_INSTALL_RUNSC=1 npm run setup',
  );
}
const suite = listed ? describe : describe.skip;
const RUN = Math.random().toString(36).slice(2, 8);

suite('the demo goal under gVisor', () => {
  const stack = useAgentStack({ vars: { DRYDOCK_MODEL: 'scripted', DRYDOCK_SANDBOX_RUNTIME: 'runsc' } });

  test('succeeds, publishes the fix, and every sandbox of the goal ran under runsc', async () => {
    const id = `e2e-runsc-${RUN}`;
    // Every container drydock starts while the goal runs (the goal's own, the warm pool's it may take, the clean
    // room's), by the engine's own record of its runtime: a pooled container carries no goal label.
    const runtimes = new Map<string, string>();
    const events = (await docker.getEvents({
      filters: { type: ['container'], event: ['start'], label: ['drydock.managed=true'] },
    })) as NodeJS.ReadableStream & { destroy(): void };
    events.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as { id: string };
        void docker
          .getContainer(e.id)
          .inspect()
          .then((c) => runtimes.set(e.id, c.HostConfig.Runtime ?? ''))
          .catch(() => undefined);
      }
    });
    try {
      const repo = makeGitRepo('demo-repo');
      stack.model.push(...loadScript(fixturePath('scripts/demo.json')));
      const result: GoalResult = await stack.env.client.workflow
        .start('codingAgent', {
          taskQueue: AGENT_QUEUE,
          workflowId: id,
          args: [{ repository: repo, goal: 'Make the failing test in test/math.test.js pass' }],
        })
        .then(readGoalResult);
      expect(result.status).toBe('succeeded');
      expect(result.checks).toEqual([expect.objectContaining({ command: 'npm test', exitCode: 0, passed: true })]);
      expect(gitIn(repo, 'diff', 'main', result.pr!.branch)).toContain('+  return a + b;');
    } finally {
      events.destroy();
    }
    expect(runtimes.size).toBeGreaterThan(0);
    expect([...new Set(runtimes.values())]).toEqual(['runsc']);
    expect(await containersOfGoal(id)).toEqual([]);
  }, 300_000);
});
