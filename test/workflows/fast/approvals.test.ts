/**
 * Approval gates: a person approves the model's plan before it changes
 * anything, and the verified change before it is published; sends either back
 * with a comment, rejects it, or lets the gate time out. Fake activities, real
 * dev server.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approvePlanUpdate, approvePublishUpdate } from '../../../workflows/messages';
import { useFakeDrydock } from '../../support/fake-workers';
import { finish, text, turn, writeFile } from '../../support/fake-model';

const drydock = useFakeDrydock();

const PLAN = '1. Fix add in src/math.js\n2. Run npm test';
const fix = () => turn(writeFile('src/math.js', 'a + b'));

describe('the plan gate', () => {
  test('a plan sent back is revised; once approved the model works, with the note in its conversation', async () => {
    const goal = drydock.goal('plan-revised', {
      model: [text(PLAN), text(`${PLAN} and npm run lint`), fix(), turn(finish('fixed'))],
    });
    await goal.start({ policy: { requirePlanApproval: true } });

    const first = await goal.statusWhen('the plan gate', (s) => s.waitingFor?.startsWith('plan approval') === true);
    // Waiting is a state: the phase says so, and the status carries what it waits for and the commands that answer.
    expect(first.phase).toBe('awaiting_plan_approval');
    expect(first.waiting).toEqual({
      kind: 'plan_approval',
      since: expect.any(Number),
      until: first.waiting!.since + 604_800_000,
      reason: '1. Fix add in src/math.js…',
      answers: [
        'drydock approve plan plan-revised',
        'drydock approve plan plan-revised --reject --comment "<what to change>"',
      ],
    });
    expect(first.plan).toBe(PLAN);
    expect(first.waitingFor).toMatch(
      /^plan approval: 1\. Fix add in src\/math\.js… \(send the approvePlan update; times out in 604800 s\)$/,
    );
    expect(goal.callsOf('runTool')).toEqual([]);
    expect(
      await goal.handle.executeUpdate(approvePlanUpdate, { args: [{ approved: false, comment: 'lint it too' }] }),
    ).toBe('plan sent back: lint it too (the model revises its plan; the goal waits again)');

    const second = await goal.statusWhen(
      'the revised plan',
      (s) => s.plan?.endsWith('npm run lint') === true && s.waitingFor !== undefined,
    );
    expect(second.iteration).toBe(2);
    expect(
      await goal.handle.executeUpdate(approvePlanUpdate, { args: [{ approved: true, comment: 'go', by: 'alice' }] }),
    ).toBe('plan approved by alice: the model goes to work');
    const result = await goal.result();

    expect(result.status).toBe('succeeded');
    expect(goal.inputsOf('callModel').map((c) => c.toolChoice)).toEqual(['none', 'none', undefined, undefined]);
    expect(goal.conversation.contents('user')).toEqual([
      'Make the failing test in test/math.test.js pass',
      expect.stringMatching(/^Before you change anything, reply with your plan in plain text/),
      'The plan was not approved: lint it too\nReply with a revised plan in plain text.',
      'The plan is approved. Go ahead. Note from alice: go',
    ]);
    expect(goal.liveSandboxes()).toEqual([]);
  });

  test('a plan rejected without a comment ends the goal before anything changes, and the reply says so', async () => {
    const goal = drydock.goal('plan-rejected', { model: [text(PLAN)] });
    await goal.start({ policy: { requirePlanApproval: true } });
    await goal.statusWhen('the plan gate', (s) => s.waitingFor?.startsWith('plan approval') === true);
    expect(await goal.handle.executeUpdate(approvePlanUpdate, { args: [{ approved: false, by: 'bob' }] })).toBe(
      'plan rejected by bob: the goal ends failed. To send the plan back for a revision instead, reject it with a comment (--comment "what to change")',
    );
    const result = await goal.result();

    expect(result.status).toBe('failed');
    expect(result.reason).toBe('the plan was rejected by bob');
    expect(goal.callsOf('runTool')).toEqual([]);
    expect(goal.liveSandboxes()).toEqual([]);
  });

  test('a plan nobody decides on times out', async () => {
    const goal = drydock.goal('plan-timeout', { model: [text(PLAN)] });
    const result = await goal.run({ policy: { requirePlanApproval: true, approvalTimeoutSeconds: 1 } });

    expect(result.status).toBe('failed');
    expect(result.reason).toBe('no decision on the plan within 1 s (approval timed out)');
    expect(goal.liveSandboxes()).toEqual([]);
  });
});

describe('the publish gate', () => {
  test('holds the verified change; a change sent back goes to the model; approved, it is published', async () => {
    const goal = drydock.goal('publish-sent-back', {
      model: [
        fix(),
        turn(finish('fixed')),
        turn(writeFile('CHANGELOG.md', '- fixed add')),
        turn(finish('fixed, with a changelog line')),
      ],
    });
    await goal.start({ policy: { requirePublishApproval: true } });

    const waiting = await goal.statusWhen(
      'the publish gate',
      (s) => s.waitingFor?.startsWith('publish approval') === true,
    );
    expect(waiting.waitingFor).toMatch(
      /^publish approval: 1 files changed, \+3 −1 \(send the approvePublish update; times out in 604800 s\)$/,
    );
    expect(waiting.phase).toBe('awaiting_publish_approval');
    expect(waiting.waiting?.diffStat).toEqual({ files: 1, insertions: 3, deletions: 1 });
    expect(waiting.waiting?.reason).toBe('');
    expect(waiting.waiting?.answers).toEqual([
      'drydock diff publish-sent-back',
      'drydock approve publish publish-sent-back',
      'drydock approve publish publish-sent-back --reject --comment "<what to change>"',
    ]);
    expect(waiting.checks.state).toBe('passed');
    expect(goal.callsOf('publishChange')).toEqual([]);
    // A plan decision at the publish gate is refused by the validator and changes nothing.
    const wrongGate = await goal.handle
      .executeUpdate(approvePlanUpdate, { args: [{ approved: true }] })
      .catch((err: unknown) => err);
    expect(wrongGate).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((wrongGate as WorkflowUpdateFailedError).cause?.message).toMatch(
      /^the goal is not waiting for plan approval \(it waits for publish approval: 1 files changed/,
    );
    await goal.handle.executeUpdate(approvePublishUpdate, {
      args: [{ approved: false, comment: 'add a changelog line' }],
    });

    await goal.statusWhen(
      'the publish gate again',
      (s) => s.waitingFor?.startsWith('publish approval') === true && s.iteration === 4,
    );
    expect(goal.conversation.contents('user')).toContain(
      'Feedback from a person: The change was not approved for publishing: add a changelog line',
    );
    await goal.handle.executeUpdate(approvePublishUpdate, { args: [{ approved: true, by: 'carol' }] });
    const result = await goal.result();

    expect(result.status).toBe('succeeded');
    expect(result.summary).toBe('fixed, with a changelog line');
    expect(goal.callsOf('verifyChange')).toHaveLength(2);
    expect(goal.inputsOf('publishChange').map((p) => p.tree)).toEqual(['tree-2']);
    expect(goal.liveSandboxes()).toEqual([]);
  });

  test('a change rejected without a comment is not published', async () => {
    const goal = drydock.goal('publish-rejected', { model: [fix(), turn(finish('fixed'))] });
    await goal.start({ policy: { requirePublishApproval: true } });
    await goal.statusWhen('the publish gate', (s) => s.waitingFor?.startsWith('publish approval') === true);
    expect(await goal.handle.executeUpdate(approvePublishUpdate, { args: [{ approved: false, by: 'carol' }] })).toMatch(
      /^publishing rejected by carol: the goal ends failed without a pull request\. To send the change back/,
    );
    const result = await goal.result();

    expect(result.status).toBe('failed');
    expect(result.reason).toBe('publishing was rejected by carol');
    expect(goal.callsOf('publishChange')).toEqual([]);
    expect(goal.liveSandboxes()).toEqual([]);
  });

  test('a change nobody decides on times out, unpublished', async () => {
    const goal = drydock.goal('publish-timeout', { model: [fix(), turn(finish('fixed'))] });
    const result = await goal.run({ policy: { requirePublishApproval: true, approvalTimeoutSeconds: 1 } });

    expect(result.status).toBe('failed');
    expect(result.reason).toBe('no decision on publishing within 1 s (approval timed out)');
    expect(goal.callsOf('publishChange')).toEqual([]);
    expect(goal.liveSandboxes()).toEqual([]);
  });
});
