/** Context management: masking older tool output keeps the trail of actions and fits the limit. */
import { estimatePromptTokens, fitPrompt, maskObservations } from '../../activities/model/context';
import type { ChatMessage } from '../../activities/model/model-client';

function conversation(turns: number, outputChars = 5000): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'goal' },
  ];
  for (let i = 0; i < turns; i++) {
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: `c${i}`, type: 'function', function: { name: 'shell', arguments: `{"command":"step ${i}"}` } },
      ],
    });
    messages.push({ role: 'tool', tool_call_id: `c${i}`, content: `output ${i}\n${'x'.repeat(outputChars)}` });
  }
  return messages;
}

test('masks every tool result but the last `window`, keeping every assistant call', () => {
  const masked = maskObservations(conversation(10), 3);
  const tools = masked.filter((m) => m.role === 'tool');
  expect(
    tools
      .slice(0, 7)
      .every((m) =>
        m.content.startsWith('[older output of shell masked to save context: 5009 characters; it began: "output'),
      ),
  ).toBe(true);
  expect(tools.slice(7).every((m) => m.content.length > 5000)).toBe(true);
  expect(masked.filter((m) => m.role === 'assistant')).toEqual(conversation(10).filter((m) => m.role === 'assistant'));
});

test('window 0 masks nothing; short outputs stay as they are', () => {
  const c = conversation(4);
  expect(maskObservations(c, 0)).toBe(c);
  const short = conversation(4, 10);
  expect(maskObservations(short, 1)).toEqual(short);
});

test('fitPrompt shrinks the window until the estimate fits, and gives up when nothing fits', () => {
  const c = conversation(20);
  const full = estimatePromptTokens(c, []);
  const fitted = fitPrompt(c, [], 8, Math.floor(full / 4));
  expect(fitted).toBeDefined();
  expect(fitted!.window).toBeLessThan(8);
  expect(fitted!.estimatedTokens).toBeLessThanOrEqual(Math.floor(full / 4));
  expect(fitPrompt(c, [], 8, 10)).toBeUndefined();
});

test('the estimate is conservative: above a 4-characters-per-token count', () => {
  const c = conversation(5);
  const chars = c.reduce((n, m) => n + (m.content?.length ?? 0), 0);
  expect(estimatePromptTokens(c, [])).toBeGreaterThan(chars / 4);
});
