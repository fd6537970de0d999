/**
 * A goal's conversation as the fake activities keep it: one message per index,
 * like the ArtifactStore. It refuses what a real model endpoint would refuse: a
 * prompt with a hole, a tool call without its result, a result without its call;
 * and it refuses an index written twice with different messages.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ChatMessage } from '../../activities/shared/chat';

/** Failure type of a conversation the fake model refuses (a workflow bug, never retried). */
export const MALFORMED_CONVERSATION = 'FakeMalformedConversation';

/** The messages of one goal, by index. */
export class FakeConversation {
  private readonly messages: (ChatMessage | undefined)[] = [];

  /** Writes message `index`; the same message again is fine (a retried activity), another one is a bug. */
  write(index: number, message: ChatMessage): void {
    const before = this.messages[index];
    if (before && JSON.stringify(before) !== JSON.stringify(message)) {
      throw ApplicationFailure.nonRetryable(
        `message ${index} written twice: ${JSON.stringify(before).slice(0, 200)} then ${JSON.stringify(message).slice(0, 200)}`,
        MALFORMED_CONVERSATION,
      );
    }
    this.messages[index] = message;
  }

  /** Message `index`, if written. */
  at(index: number): ChatMessage | undefined {
    return this.messages[index];
  }

  /** Every message written so far, in order (holes left out). */
  all(): ChatMessage[] {
    return this.messages.filter((m): m is ChatMessage => m !== undefined);
  }

  /** The text of every message of a role (tool results, user messages …). */
  contents(role: ChatMessage['role']): string[] {
    return this.all()
      .filter((m) => m.role === role)
      .map((m) => m.content ?? '');
  }

  /** Throws when messages [0, length) are not a prompt a Chat Completions endpoint accepts. */
  assertPrompt(length: number): void {
    const problems = this.promptProblems(length);
    if (problems.length > 0) {
      throw ApplicationFailure.nonRetryable(
        `the model was sent a malformed conversation: ${problems.join('; ')}`,
        MALFORMED_CONVERSATION,
      );
    }
  }

  private promptProblems(length: number): string[] {
    const problems: string[] = [];
    const open = new Set<string>();
    for (let i = 0; i < length; i++) {
      const m = this.messages[i];
      if (!m) {
        problems.push(`message ${i} is missing`);
        continue;
      }
      if (m.role === 'tool') {
        if (!open.delete(m.tool_call_id))
          problems.push(`message ${i} answers tool call ${m.tool_call_id}, which nothing asked for`);
        continue;
      }
      // A new assistant or user message: every call of the previous turn must have been answered by now.
      for (const id of open) problems.push(`tool call ${id} has no result before message ${i}`);
      open.clear();
      if (m.role === 'assistant') for (const call of m.tool_calls ?? []) open.add(call.id);
    }
    for (const id of open) problems.push(`tool call ${id} has no result`);
    return problems;
  }
}
