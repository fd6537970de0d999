import { OutputCollector, trimOutput } from '../../activities/sandbox/trim-output';

/** The N in a `…[N bytes omitted]…` marker. */
function omitted(text: string): number {
  const match = /\n…\[(\d+) bytes omitted\]…\n/.exec(text);
  if (!match?.[1]) throw new Error(`no marker in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

describe('trimOutput', () => {
  test('returns output that fits unchanged', () => {
    expect(trimOutput(Buffer.from('hello\n'), 6)).toBe('hello\n');
    expect(trimOutput(Buffer.alloc(0), 0)).toBe('');
  });

  test('keeps head and tail of maxBytes together around a marker with the omitted count', () => {
    const text = trimOutput(Buffer.from('0123456789abcdefghij'), 10);
    expect(text).toBe('01234\n…[10 bytes omitted]…\nfghij');
  });

  test('gives the odd byte to the tail', () => {
    expect(trimOutput(Buffer.from('0123456789'), 5)).toBe('01\n…[5 bytes omitted]…\n789');
  });

  test('with a budget of 0 keeps only the marker', () => {
    expect(trimOutput(Buffer.from('abc'), 0)).toBe('\n…[3 bytes omitted]…\n');
  });

  test('never splits a UTF-8 character and counts the bytes it leaves out', () => {
    const input = Buffer.from('é'.repeat(50) + '€'.repeat(50)); // 2-byte then 3-byte characters
    for (let max = 1; max < 60; max++) {
      const text = trimOutput(input, max);
      expect(text).not.toContain('\uFFFD');
      const [head = '', tail = ''] = text.split(/\n…\[\d+ bytes omitted\]…\n/);
      const kept = Buffer.byteLength(head) + Buffer.byteLength(tail);
      expect(kept).toBeLessThanOrEqual(max);
      expect(kept + omitted(text)).toBe(input.length);
    }
  });
});

describe('OutputCollector', () => {
  test('gives what trimOutput gives for the whole stream, whatever the chunking', () => {
    const input = Buffer.from('line ü €\n'.repeat(5000));
    for (const max of [0, 1, 7, 100, 4096, input.length, input.length + 1]) {
      for (const chunk of [1, 13, 1000, input.length]) {
        const collector = new OutputCollector(max);
        for (let i = 0; i < input.length; i += chunk) collector.push(input.subarray(i, i + chunk));
        expect(collector.total).toBe(input.length);
        expect(collector.text()).toBe(trimOutput(input, max));
      }
    }
  });
});
