/**
 * The conversation of a goal, kept in the ArtifactStore one message per key so
 * that history carries only its length. Each writer is given the index it
 * writes, so a retried activity overwrites its own message and nothing else.
 * An assistant message keeps its Responses reasoning items (encrypted) in its
 * `reasoning` field: they go back to the model on the next turn from here and
 * never enter workflow history.
 */
import type { ArtifactStore } from './artifact-store';
import type { ChatMessage } from '../shared/chat';

/** Key prefix of everything a goal stores. */
export function goalPrefix(goalId: string): string {
  return `goals/${safeSegment(goalId)}`;
}

/** Key of message `index` of a goal's conversation. */
export function messageKey(goalId: string, index: number): string {
  return `${goalPrefix(goalId)}/conversation/${String(index).padStart(5, '0')}.json`;
}

/** Writes message `index` of a goal's conversation. */
export async function writeMessage(
  store: ArtifactStore,
  goalId: string,
  index: number,
  message: ChatMessage,
): Promise<void> {
  await store.put(messageKey(goalId, index), JSON.stringify(message));
}

/** Reads message `index` of a goal's conversation. */
export async function readMessage(store: ArtifactStore, goalId: string, index: number): Promise<ChatMessage> {
  return JSON.parse((await store.get(messageKey(goalId, index))).toString('utf8')) as ChatMessage;
}

/** Reads messages [0, length) of a goal's conversation. */
export async function readConversation(store: ArtifactStore, goalId: string, length: number): Promise<ChatMessage[]> {
  return Promise.all(Array.from({ length }, (_, i) => readMessage(store, goalId, i)));
}

/** Turns a workflow id into a key segment (ids may hold `/` or `:`). */
export function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
