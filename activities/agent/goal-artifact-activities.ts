/**
 * readGoalArtifacts: a goal's diff and log, read where they live (the agent
 * worker's artifact store) for a client on any machine that reaches Temporal
 * (`drydock diff` / `drydock logs`, through the goalArtifacts workflow). Reads
 * only. Answers are bounded so that they fit in a Temporal payload; the log is
 * paged by a cursor that `logs -f` carries from one read to the next.
 */
import type { ArtifactStore } from '../store/artifact-store';
import { goalPrefix } from '../store/conversation';
import type { ChatMessage } from '../shared/chat';

/** What the goal-artifact activities need. */
export interface GoalArtifactActivityDeps {
  /** The artifact store the goals' activities write to. */
  store: ArtifactStore;
}

/** What a client asks for: a goal's change (`which`: the latest checkpoint, or the change made for publishing), or its log from an entry on. */
export type GoalArtifactsRequest =
  | { action: 'diff'; goalId: string; which: 'checkpoint' | 'change' }
  | { action: 'logs'; goalId: string; after: number };

/** One entry of a goal's log: a model turn (one line), a tool call and its output, a setup or check log. */
export interface GoalLogEntry {
  kind: 'prompt' | 'model' | 'tool' | 'setup' | 'checks' | 'verify';
  /** The model turn it belongs to (0: before the first). */
  turn: number;
  /** One line: the turn's words and calls, the tool call, the check command. */
  title: string;
  /** The output or log (a tool's output, a check's log), cut to MAX_ENTRY_BYTES (head and tail). */
  text?: string;
}

/** The answer. */
export type GoalArtifactsAnswer =
  | {
      action: 'diff';
      /** The key read (absent: the goal has none of that kind yet). */
      key?: string;
      patch?: string;
      /** The whole patch's size in bytes; more than `patch` holds when it was cut. */
      bytes: number;
    }
  | {
      action: 'logs';
      entries: GoalLogEntry[];
      /** Where the next read starts (the number of entries read so far). */
      next: number;
      /** More entries wait beyond this answer's size limit: read again at once. */
      more: boolean;
    };

/** Bytes of one diff answer at most (a Temporal payload stays far below its 2 MB limit). */
export const MAX_DIFF_BYTES = 512 * 1024;
/** Bytes of one log entry's text at most (head and tail kept). */
export const MAX_ENTRY_BYTES = 16 * 1024;
/** Bytes of one log answer at most. */
export const MAX_LOG_ANSWER_BYTES = 512 * 1024;

/** The agent queue's goal-artifact activities. */
export function createGoalArtifactActivities(deps: GoalArtifactActivityDeps) {
  return {
    /** Reads a goal's diff or a page of its log; reads only. */
    async readGoalArtifacts(request: GoalArtifactsRequest): Promise<GoalArtifactsAnswer> {
      if (request.action === 'diff') return readDiff(deps.store, request.goalId, request.which);
      return readLog(deps.store, request.goalId, Math.max(0, Math.floor(request.after)));
    },
  };
}

async function readDiff(
  store: ArtifactStore,
  goalId: string,
  which: 'checkpoint' | 'change',
): Promise<GoalArtifactsAnswer> {
  const prefix = goalPrefix(goalId);
  let key: string | undefined;
  if (which === 'change')
    key = (await store.has(`${prefix}/change.text.patch`)) ? `${prefix}/change.text.patch` : undefined;
  else key = (await store.list(`${prefix}/checkpoints`)).filter((k) => k.endsWith('.patch')).pop();
  if (!key) return { action: 'diff', bytes: 0 };
  const data = await store.get(key);
  return { action: 'diff', key, patch: data.subarray(0, MAX_DIFF_BYTES).toString('utf8'), bytes: data.length };
}

async function readLog(store: ArtifactStore, goalId: string, after: number): Promise<GoalArtifactsAnswer> {
  const entries = await logEntries(store, goalId);
  const page: GoalLogEntry[] = [];
  let size = 0;
  for (const e of entries.slice(after)) {
    size += e.title.length + (e.text?.length ?? 0);
    if (page.length > 0 && size > MAX_LOG_ANSWER_BYTES) break;
    page.push(e);
  }
  return { action: 'logs', entries: page, next: after + page.length, more: after + page.length < entries.length };
}

/** Every entry of a goal's log, in order: setup, then each turn's model line, tool calls and output, and the checks run after it. */
async function logEntries(store: ArtifactStore, goalId: string): Promise<GoalLogEntry[]> {
  const prefix = goalPrefix(goalId);
  const keys = await store.list(prefix);
  const text = async (key: string) => cut((await store.get(key)).toString('utf8'));
  const entries: { order: [number, number, number]; entry: GoalLogEntry }[] = [];
  if (keys.includes(`${prefix}/setup.log`))
    entries.push({
      order: [0, 0, 0],
      entry: { kind: 'setup', turn: 0, title: 'setup', text: await text(`${prefix}/setup.log`) },
    });

  // The conversation: one file per message; a turn starts with each assistant message.
  const messageKeys = keys.filter((k) => k.startsWith(`${prefix}/conversation/`) && k.endsWith('.json'));
  const calls = new Map<string, string>();
  let turn = 0;
  for (const [i, key] of messageKeys.entries()) {
    let m: ChatMessage;
    try {
      m = JSON.parse((await store.get(key)).toString('utf8')) as ChatMessage;
    } catch {
      continue;
    }
    if (m.role === 'system') continue;
    if (m.role === 'user') {
      entries.push({ order: [turn, 1, i], entry: { kind: 'prompt', turn, title: `user: ${oneLine(m.content)}` } });
      continue;
    }
    if (m.role === 'assistant') {
      turn += 1;
      const called = (m.tool_calls ?? []).map((c) => c.function.name);
      for (const c of m.tool_calls ?? []) calls.set(c.id, `${c.function.name} ${oneLine(c.function.arguments, 300)}`);
      const words = m.content ? oneLine(m.content) : '';
      const title = `turn ${turn}: ${words}${words && called.length ? ' ' : ''}${called.length ? `→ ${called.join(', ')}` : ''}`;
      entries.push({ order: [turn, 1, i], entry: { kind: 'model', turn, title: title.trimEnd() } });
      continue;
    }
    entries.push({
      order: [turn, 1, i],
      entry: { kind: 'tool', turn, title: calls.get(m.tool_call_id) ?? `tool ${m.tool_call_id}`, text: cut(m.content) },
    });
  }

  // Check logs: checks/<turn>-<n>.log (the checks run after turn <turn>), verify/<turn>[-setup|-<n>].log (the clean room).
  for (const key of keys) {
    const m = /\/(checks|verify)\/(\d+)-(setup|\d+)\.log$/.exec(key);
    if (!m) continue;
    const kind = m[1] as 'checks' | 'verify';
    const step = Number(m[2]);
    const n = m[3] === 'setup' ? -1 : Number(m[3]);
    const title = `${kind === 'checks' ? 'checks' : 'clean-room verification'} after turn ${step}${n < 0 ? ': setup' : `: check ${n + 1}`}`;
    entries.push({
      order: [step, kind === 'checks' ? 2 : 3, n],
      entry: { kind, turn: step, title, text: await text(key) },
    });
  }
  entries.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2]);
  return entries.map((e) => e.entry);
}

/** The first line of a text, cut to `max` characters. */
function oneLine(text: string, max = 160): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A text cut to MAX_ENTRY_BYTES: its head and tail with a note between. */
function cut(text: string): string {
  if (text.length <= MAX_ENTRY_BYTES) return text;
  const half = MAX_ENTRY_BYTES / 2;
  return `${text.slice(0, half)}\n[… ${text.length - MAX_ENTRY_BYTES} characters left out …]\n${text.slice(-half)}`;
}
