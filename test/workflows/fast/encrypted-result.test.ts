/**
 * With a payload key, the GoalResult a failed goal carries as its failure's
 * details is stored encrypted like every other payload, and readGoalResult
 * reads it back through the client's codec. Fake activities, real dev server.
 */
import { randomBytes } from 'crypto';
import { readGoalResult } from '../../../cli/goal-result';
import { ENCRYPTED_ENCODING } from '../../../activities/security/payload-codec';
import { useFakeDrydock } from '../../support/fake-workers';
import { shell, turn } from '../../support/fake-model';

const drydock = useFakeDrydock({ payloadKey: randomBytes(32).toString('base64') });

test('a failed goal: its GoalResult is encrypted in the failure details and read back with the key, not without', async () => {
  const loop = () => turn(shell('npm tset', 'fails'));
  const goal = drydock.goal('enc-failed', { model: [loop(), loop(), loop()] });
  await goal.start();
  const result = await goal.result();
  expect(result.status).toBe('failed');
  expect(result.reason).toMatch(/^loop detected/);

  const events = (await goal.handle.fetchHistory()).events ?? [];
  const failed = events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
  const details = failed?.failure?.applicationFailureInfo?.details?.payloads ?? [];
  expect(details).toHaveLength(1);
  const encoding = (p: { metadata?: Record<string, Uint8Array> | null } | undefined) =>
    Buffer.from(p?.metadata?.encoding ?? new Uint8Array()).toString();
  expect(encoding(details[0])).toBe(ENCRYPTED_ENCODING);
  expect(Buffer.from(details[0]!.data!).toString()).not.toContain('loop detected');
  // The memo the workflow sets itself is encrypted too.
  const memo = events.find((e) => e.workflowPropertiesModifiedEventAttributes)
    ?.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields;
  expect(Object.values(memo ?? {}).map(encoding)).toEqual([ENCRYPTED_ENCODING, ENCRYPTED_ENCODING]);
  const summaries = events.filter((e) => e.userMetadata?.summary).map((e) => encoding(e.userMetadata!.summary!));
  // So are the activity and timer summaries (they hold commands the model ran).
  expect(summaries.length).toBeGreaterThan(5);
  expect(new Set(summaries)).toEqual(new Set([ENCRYPTED_ENCODING]));

  // A client without the key cannot read the result.
  await expect(readGoalResult(drydock.env.client.workflow.getHandle('enc-failed'))).rejects.toThrow();
});
