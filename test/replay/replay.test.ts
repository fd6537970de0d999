/**
 * Versioning guard: the recorded histories in test/replay/histories/ (happy
 * path, a retried model call, a sandbox re-provision, continue-as-new, both
 * approval gates, a failed goal, a goal placed by its cached environment) replay against the
 * current workflow code. A change that would break running goals fails here;
 * put such a change behind patched() and re-record (record-histories.ts).
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { Worker, DefaultLogger, Runtime } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/create-workers';
import { loadHistory } from './load-history';

const DIR = path.join(__dirname, 'histories');

test('every recorded history replays without a nondeterminism error', async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already
  }
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  expect(files).toEqual(
    expect.arrayContaining([
      'approval-gates.json',
      'continue-as-new.json',
      'failed-goal.json',
      'happy-path.json',
      'retried-model-call.json',
      'sandbox-reprovision.json',
      // A goal with a setup phase recorded before the post-setup baseline, and one after (patched('setup-baseline')).
      'setup-before-baseline.json',
      'setup-reprovision.json',
      // A goal placed on the host that holds its cached environment (patched('environment-placement')).
      'environment-placement.json',
    ]),
  );
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: loadHistory(JSON.parse(readFileSync(path.join(DIR, f), 'utf8'))),
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowsPath: WORKFLOWS_PATH, replayName: 'drydock-replay' },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
}, 120_000);
