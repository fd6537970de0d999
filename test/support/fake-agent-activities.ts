/**
 * The agent-queue activities of one fake goal: the conversation, the scripted
 * model, the publish gate's verdict and a code host that opens one PR record.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { AgentActivities } from '../../activities/activity-types';
import type { ModelTurn } from '../../activities/agent/model-activities';
import type { ChatToolCall } from '../../activities/shared/chat';
import type { FakeGoal } from './fake-goal';

/** Failure type of a model asked for a turn its script does not have. */
export const SCRIPT_EXHAUSTED = 'FakeScriptExhausted';

/** The agent activities of one goal. */
export function fakeAgentActivities(goal: FakeGoal): AgentActivities {
  const { conversation } = goal;
  return {
    async openConversation(input) {
      conversation.write(0, { role: 'system', content: 'You are drydock.' });
      conversation.write(1, { role: 'user', content: input.goal });
      return 2;
    },
    async appendMessage(input) {
      conversation.write(
        input.index,
        input.role === 'tool'
          ? { role: 'tool', tool_call_id: input.toolCallId ?? '', content: input.content }
          : { role: 'user', content: input.content },
      );
    },
    callModel: async (input) => scriptedTurn(goal, input),
    async checkChange() {
      return goal.script.gate ?? { allowed: true, reasons: [] };
    },
    async publishChange(input) {
      return {
        id: '1',
        branch: 'drydock/fake',
        base: input.baseBranch,
        location: `fake://${input.goalId}/pull/1`,
        commit: 'f00d',
      };
    },
    async readIssue(input) {
      const { owner, repo, number } = input.issue;
      return {
        goal: `Issue ${owner}/${repo}#${number}: the sum is wrong`,
        url: `https://github.example/${owner}/${repo}/issues/${number}`,
      };
    },
    async readReviewFeedback(input) {
      return {
        headBranch: 'feature',
        baseBranch: 'main',
        url: `fake://pull/${input.number}`,
        items: 1,
        text: 'Reviewer: rename add to sum',
      };
    },
    async readPullRequests(request) {
      return request.action === 'list' ? { action: 'list', directory: 'fake://prs', records: [] } : { action: 'show' };
    },
    async readModelProfiles() {
      return { profiles: [], defaultModel: 'scripted' };
    },
    async readGoalArtifacts(request) {
      return request.action === 'diff'
        ? { action: 'diff', bytes: 0 }
        : { action: 'logs', entries: [], next: 0, more: false };
    },
  };
}

/** The script's turn for this step, written at `length`, after checking the prompt as an endpoint would. */
function scriptedTurn(goal: FakeGoal, input: Parameters<AgentActivities['callModel']>[0]): ModelTurn {
  goal.conversation.assertPrompt(input.length);
  const scripted = goal.script.model[input.step];
  if (!scripted) {
    throw ApplicationFailure.nonRetryable(
      `the scripted model has no turn ${input.step + 1} (it has ${goal.script.model.length})`,
      SCRIPT_EXHAUSTED,
    );
  }
  const calls: ChatToolCall[] = scripted.calls.map((c, i) => ({
    id: `call-${input.step}-${i}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.args) },
  }));
  scripted.calls.forEach((c, i) => goal.cues.set(`call-${input.step}-${i}`, c.cue));
  goal.conversation.write(input.length, {
    role: 'assistant',
    content: scripted.text ?? null,
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
  });
  const finish = scripted.calls.find((c) => c.name === 'finish');
  return {
    estimatedPromptTokens: scripted.usage.promptTokens,
    assistantIndex: input.length,
    toolCalls: calls.map((c) => ({
      id: c.id,
      name: c.function.name,
      argumentsPreview: c.function.arguments.slice(0, 200),
      signature: `${c.function.name}:${c.function.arguments}`,
    })),
    textPreview: (scripted.text ?? '').slice(0, input.toolChoice === 'none' ? 4000 : 300),
    finishSummary: typeof finish?.args.summary === 'string' ? finish.args.summary : undefined,
    usage: scripted.usage,
    finishReason: calls.length > 0 ? 'tool_calls' : 'stop',
  };
}
