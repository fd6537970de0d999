/** The OpenAI Responses API wire format: response bodies and their server-sent events, from a planned answer. */
import { halves } from './openai-wire';
import type { PlannedAnswer } from './planned-answer';
import type { ScriptedUsage } from './script';
import type { SseStep } from './sse';

type Item = Record<string, unknown>;

/** Responses usage, with the cached and reasoning details (0 when the turn reports none). */
export function responsesUsage(usage: ScriptedUsage): Record<string, unknown> {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.reasoning_tokens ?? 0 },
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

function reasoningItem(answer: PlannedAnswer): Item | undefined {
  const r = answer.reasoning;
  if (!r) return undefined;
  return {
    id: r.id,
    type: 'reasoning',
    summary: [{ type: 'summary_text', text: r.summary }],
    encrypted_content: r.encryptedContent,
    status: 'completed',
  };
}

function messageItem(answer: PlannedAnswer, text: string): Item {
  return {
    id: `msg_scripted_${answer.turnNumber}`,
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

/** The output items of an answer: reasoning, message, function calls (an `empty` turn keeps only its reasoning). */
function outputItems(answer: PlannedAnswer): Item[] {
  const items: Item[] = [];
  const reasoning = reasoningItem(answer);
  if (reasoning) items.push(reasoning);
  if (answer.empty) return items;
  if (answer.text !== null) items.push(messageItem(answer, answer.text));
  for (const call of answer.calls) {
    items.push({
      id: `fc_${call.id}`,
      type: 'function_call',
      call_id: call.id,
      name: call.name,
      arguments: call.arguments,
      status: 'completed',
    });
  }
  return items;
}

/** The response object of an answer, in a given status, with the given output. */
function response(answer: PlannedAnswer, status: string, output: Item[], usage: boolean): Item {
  return {
    id: `resp_scripted_${answer.turnNumber}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model: answer.model,
    output,
    error: null,
    incomplete_details: null,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    store: false,
    usage: usage ? responsesUsage(answer.usage) : null,
  };
}

/** The non-streaming body of an answer. */
export function responseBody(answer: PlannedAnswer): Item {
  return response(answer, 'completed', outputItems(answer), true);
}

/**
 * An answer as Responses server events: response.created; the reasoning item
 * (added, one summary delta per gap, done); the message (added, text deltas,
 * done); each function call (added with empty arguments, two argument deltas,
 * done); response.completed with the usage.
 */
export function responseSteps(answer: PlannedAnswer): SseStep[] {
  let sequence = 0;
  const step = (type: string, fields: Item, delayMs?: number): SseStep => ({
    event: type,
    data: JSON.stringify({ type, sequence_number: sequence++, ...fields }),
    ...(delayMs ? { delayMs } : {}),
  });
  const steps: SseStep[] = [step('response.created', { response: response(answer, 'in_progress', [], false) })];
  outputItems(answer).forEach((item, outputIndex) => {
    const id = item.id as string;
    if (item.type === 'reasoning') {
      steps.push(step('response.output_item.added', { output_index: outputIndex, item: { ...item, summary: [] } }));
      for (let i = 0; i < answer.reasoningEvents; i++) {
        const delta = { item_id: id, output_index: outputIndex, summary_index: 0, delta: 'thinking… ' };
        steps.push(step('response.reasoning_summary_text.delta', delta, answer.reasoningEveryMs));
      }
    } else if (item.type === 'message') {
      steps.push(step('response.output_item.added', { output_index: outputIndex, item: { ...item, content: [] } }));
      for (const piece of halves(answer.text ?? '')) {
        const delta = { item_id: id, output_index: outputIndex, content_index: 0, delta: piece, logprobs: [] };
        if (piece) steps.push(step('response.output_text.delta', delta));
      }
    } else {
      steps.push(step('response.output_item.added', { output_index: outputIndex, item: { ...item, arguments: '' } }));
      for (const piece of halves(item.arguments as string)) {
        steps.push(
          step('response.function_call_arguments.delta', { item_id: id, output_index: outputIndex, delta: piece }),
        );
      }
      steps.push(
        step('response.function_call_arguments.done', {
          item_id: id,
          output_index: outputIndex,
          arguments: item.arguments,
        }),
      );
    }
    steps.push(step('response.output_item.done', { output_index: outputIndex, item }));
  });
  steps.push(step('response.completed', { response: responseBody(answer) }));
  return steps;
}
