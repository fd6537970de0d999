/**
 * `drydock diff <id>`: a goal's change as a unified diff — while it runs, its
 * workspace at the last checkpoint; once it is made for publishing (the
 * publish-approval wait, publishing, ended), the change itself. Read on the
 * agent worker through the goalArtifacts workflow (the artifact store is the
 * workers'); what was read goes to stderr, the patch alone to stdout.
 */
import type { Client } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import type { GoalArtifactsAnswer } from '../workflows/goal-artifacts';
import type { GoalStatusView } from '../workflows/types';
import { readOnAgent } from './agent-read';
import type { ClientConfig } from './config';
import { renderDiff, wantsColour } from './diff-text';
import { withGoal } from './goals';
import { printError, stdoutIsTerminal } from './output';
import { queryWithWorker } from './pollers';

/** Which patch a goal's diff is: the latest checkpoint, or the change made for publishing. */
export type DiffSource = 'checkpoint' | 'change';

/** The phases from which a goal's change is the one made for publishing. */
const CHANGE_PHASES = new Set(['verifying', 'publishing', 'awaiting_publish_approval', 'tearing_down', 'done']);

/** Prints a goal's diff; exit 0 with a note on stderr when it has none yet. */
export async function diff(config: ClientConfig, id: string | undefined): Promise<number> {
  return withGoal(config, id, async (handle, client) => {
    const running = (await handle.describe()).status.name === 'RUNNING';
    let source: DiffSource = 'change';
    if (running) {
      const view: GoalStatusView = await queryWithWorker(client, config.namespace, () => handle.query(statusQuery));
      source = diffSourceOf(view);
    }
    const id_ = handle.workflowId;
    let answer = await readDiff(client, config, id_, source);
    // A goal that ended without a change made for publishing: its last checkpoint is what it did.
    if (!answer.patch && source === 'change' && !running) {
      answer = await readDiff(client, config, id_, 'checkpoint');
      source = 'checkpoint';
    }
    if (answer.action !== 'diff' || !answer.patch) {
      printError(`drydock: goal ${id_} has no change yet\n`);
      return 0;
    }
    const what =
      source === 'change'
        ? running
          ? 'the change made for publishing'
          : 'the change the goal made for publishing'
        : running
          ? 'the workspace at its last checkpoint'
          : 'the workspace at its last checkpoint (nothing was made for publishing)';
    const cut = answer.bytes > answer.patch.length ? `; the first ${answer.patch.length} of ${answer.bytes} bytes` : '';
    printError(`drydock: ${id_}: ${what} (${answer.key}${cut})\n`);
    const terminal = stdoutIsTerminal();
    // renderDiff makes every line terminal-safe itself; only its own colour codes are added.
    process.stdout.write(renderDiff(answer.patch, terminal, wantsColour(terminal)));
    if (!answer.patch.endsWith('\n')) process.stdout.write('\n');
    return 0;
  });
}

/** Which patch shows a goal as it stands: the change once it is made for publishing, else the last checkpoint. */
export function diffSourceOf(view: GoalStatusView): DiffSource {
  if (view.waiting?.kind === 'publish_approval' || /approvePublish/.test(view.waitingFor ?? '')) return 'change';
  return CHANGE_PHASES.has(view.phase) ? 'change' : 'checkpoint';
}

/** Reads one of a goal's patches on the agent worker. */
export async function readDiff(
  client: Client,
  config: ClientConfig,
  goalId: string,
  which: DiffSource,
): Promise<Extract<GoalArtifactsAnswer, { action: 'diff' }>> {
  const answer = await readOnAgent<GoalArtifactsAnswer>(
    client,
    config,
    'goalArtifacts',
    [{ action: 'diff', goalId, which }],
    "a goal's diff and log",
  );
  if (answer.action !== 'diff') throw new Error(`the agent worker answered ${answer.action} for a diff`);
  return answer;
}
