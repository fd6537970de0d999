/** Context masking and the prompt estimate hold for the Responses input as for Chat Completions. */
import { estimatePromptTokens, maskObservations } from '../../activities/model/context';
import type { ChatMessage } from '../../activities/model/model-client';
import { toResponsesInput } from '../../activities/model/responses-input';

const BIG = `line one\n${'x'.repeat(5000)}`;

function conversation(reasoning: boolean): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'goal' },
  ];
  for (let i = 0; i < 3; i++) {
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `call_${i}`, type: 'function', function: { name: 'shell', arguments: '{"command":"ls"}' } }],
      ...(reasoning
        ? {
            reasoning: [
              { type: 'reasoning', id: `rs_${i}`, summary: [], encrypted_content: 'e'.repeat(3000) } as const,
            ],
          }
        : {}),
    });
    messages.push({ role: 'tool', tool_call_id: `call_${i}`, content: BIG });
  }
  return messages;
}

test('older tool output is masked in the function_call_output items the Responses API is sent', () => {
  const input = toResponsesInput(maskObservations(conversation(true), 1)) as { type?: string; output?: string }[];
  const outputs = input.filter((i) => i.type === 'function_call_output').map((i) => i.output ?? '');
  expect(outputs).toHaveLength(3);
  expect(outputs[0]).toMatch(/^\[older output of shell masked/);
  expect(outputs[1]).toMatch(/^\[older output of shell masked/);
  expect(outputs[2]).toBe(BIG);
  // Each turn's reasoning item goes right before its function call.
  const types = input.map((i) => i.type ?? 'message');
  expect(types.slice(2, 5)).toEqual(['reasoning', 'function_call', 'function_call_output']);
});

test('the prompt estimate counts the reasoning items carried back', () => {
  const without = estimatePromptTokens(conversation(false), []);
  const withReasoning = estimatePromptTokens(conversation(true), []);
  expect(withReasoning - without).toBeGreaterThanOrEqual((3 * 3000) / 3);
});
