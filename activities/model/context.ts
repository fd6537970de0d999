/**
 * Context management: what of the conversation is sent to the model. Tool
 * results older than a window are masked to a one-line note while every
 * assistant message (the trail of actions) is kept; tokens are estimated
 * conservatively so that a budget is never crossed by a call drydock starts.
 */
import type { ChatMessage, ToolDefinition } from './model-client';

/** Characters per token assumed by the estimate: below the ~4 of English text, so estimates run high. */
const CHARS_PER_TOKEN = 3;

/** A conservative estimate of the prompt tokens of a request. */
export function estimatePromptTokens(messages: ChatMessage[], tools: ToolDefinition[]): number {
  let chars = JSON.stringify(tools).length;
  for (const m of messages) {
    chars += 16 + (m.content?.length ?? 0);
    if (m.role === 'assistant') {
      for (const c of m.tool_calls ?? []) chars += c.function.name.length + c.function.arguments.length + 16;
      // Reasoning items carried back (Responses) are input too; their encrypted size is an upper bound.
      for (const r of m.reasoning ?? [])
        chars += (r.encrypted_content?.length ?? 0) + r.summary.reduce((n, s) => n + s.text.length, 0) + 16;
    }
  }
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * Replaces the content of every tool result but the last `window` with a
 * note naming the tool and the size of what was masked. `window` 0 masks none.
 */
export function maskObservations(messages: ChatMessage[], window: number): ChatMessage[] {
  if (window <= 0) return messages;
  const toolIndexes = messages.flatMap((m, i) => (m.role === 'tool' ? [i] : []));
  const masked = new Set(toolIndexes.slice(0, Math.max(0, toolIndexes.length - window)));
  if (masked.size === 0) return messages;
  const toolNames = new Map<string, string>();
  for (const m of messages)
    if (m.role === 'assistant') for (const c of m.tool_calls ?? []) toolNames.set(c.id, c.function.name);
  return messages.map((m, i) => {
    if (m.role !== 'tool' || !masked.has(i) || m.content.length <= 200) return m;
    const firstLine = m.content.split('\n', 1)[0]?.slice(0, 120) ?? '';
    return {
      ...m,
      content: `[older output of ${toolNames.get(m.tool_call_id) ?? 'a tool'} masked to save context: ${m.content.length} characters; it began: ${JSON.stringify(firstLine)}. Run the tool again if you need it.]`,
    };
  });
}

/** What fitting a conversation into a prompt limit gave. */
export interface FittedPrompt {
  messages: ChatMessage[];
  /** The estimate with the calibration factor applied: what budgets are checked against. */
  estimatedTokens: number;
  /** The plain estimate (3 characters a token), before calibration: what the endpoint's count is compared with. */
  rawEstimatedTokens: number;
  /** The observation window used (smaller than asked when the prompt had to shrink). */
  window: number;
}

/**
 * Masks older observations with the policy's window, then with smaller windows
 * until the estimate fits `limit`; undefined when even masking everything does
 * not. `factor` calibrates the estimate (the worst real / estimated ratio the
 * endpoint has shown: prompt-calibration.ts).
 */
export function fitPrompt(
  messages: ChatMessage[],
  tools: ToolDefinition[],
  window: number,
  limit: number,
  factor = 1,
): FittedPrompt | undefined {
  const candidates = window > 0 ? [window, ...[4, 2, 1].filter((w) => w < window)] : [0, 8, 4, 2, 1];
  for (const w of candidates) {
    const fitted = maskObservations(messages, w);
    const rawEstimatedTokens = estimatePromptTokens(fitted, tools);
    const estimatedTokens = Math.ceil(rawEstimatedTokens * factor);
    if (estimatedTokens <= limit) return { messages: fitted, estimatedTokens, rawEstimatedTokens, window: w };
  }
  return undefined;
}
