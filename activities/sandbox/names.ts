/** Names of a goal's sandboxes and of the records the reaper reads: deterministic, from the workflow id. */
import { createHash } from 'crypto';
import { safeSegment } from '../store/conversation';

/**
 * Container name of a goal: deterministic, so provisioning twice finds the first.
 * A replacement for a lost sandbox (generation n > 0) gets its own name, so that
 * the old container, if its host comes back, is never mistaken for the new one.
 */
export function containerNameFor(goalId: string, generation = 0): string {
  const hash = createHash('sha256').update(goalId).digest('hex').slice(0, 10);
  return `drydock-${safeSegment(goalId)
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 40)}-${hash}${generation > 0 ? `-r${generation}` : ''}`;
}

/** Store key of the record naming the goal a container belongs to (a warm container taken from the pool has no goal label). */
export function sandboxRecordKey(containerName: string): string {
  return `sandboxes/${safeSegment(containerName)}.json`;
}
