/** The business key of a goal: the same repository and goal give the same workflow id. */
import { createHash } from 'crypto';
import * as path from 'path';

/** `goal-<repository name>-<8 hex of repository + goal>`. */
export function goalWorkflowId(repository: string, goal: string): string {
  const name = path
    .basename(repository.replace(/\.git$/, '').replace(/\/+$/, ''))
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 40);
  const hash = createHash('sha256').update(`${repository}\n${goal.trim()}`).digest('hex').slice(0, 8);
  return `goal-${name || 'repo'}-${hash}`;
}
