/**
 * The scripted model's turns for a task: read the buggy file, apply the gold
 * patch through the apply_patch tool, finish. The bench model server picks a
 * task's script by the marker its goal text carries.
 */
import type { BenchCall } from '../model-server';
import type { RepoTask } from './manifest';
import type { TaskRepo } from './task-repo';

/** The marker in a task's goal text that names the task. */
export function goalMarker(task: RepoTask): string {
  return `[bench task ${task.name}]`;
}

/** The goal text of a task. */
export function goalText(task: RepoTask): string {
  return `${task.goal} ${goalMarker(task)}`;
}

/** The task named in a goal text, if any. */
export function taskInGoal(goal: string): string | undefined {
  return /\[bench task ([\w.-]+)\]/.exec(goal)?.[1];
}

/** read_file, apply_patch with the gold patch, finish. */
export function goldScript(task: RepoTask, repo: TaskRepo): BenchCall[][] {
  return [
    [{ name: 'read_file', arguments: { path: task.bug.file } }],
    [{ name: 'apply_patch', arguments: { patch: repo.goldPatch } }],
    [
      {
        name: 'finish',
        arguments: {
          summary: `Fixed the ${task.bug.kind} in ${task.bug.file}`,
          rationale: `The upstream code of ${task.source.package} ${task.source.version} is restored.`,
        },
      },
    ],
  ];
}
