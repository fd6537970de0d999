/** The engine stream's demultiplexer: any chunking gives the same bytes, and a large frame streams through in pieces. */
import { Demultiplexer } from '../../activities/sandbox/demultiplexer';

function frame(type: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function collector() {
  const pieces: Buffer[] = [];
  return { pieces, push: (chunk: Buffer) => pieces.push(chunk), text: () => Buffer.concat(pieces).toString('utf8') };
}

test('stdout and stderr come out whole and apart, however the stream is cut', () => {
  const stream = Buffer.concat([
    frame(1, Buffer.from('out one\n')),
    frame(2, Buffer.from('err one\n')),
    frame(1, Buffer.alloc(0)),
    frame(1, Buffer.from('out two ü\n')),
    frame(2, Buffer.from('err two €\n')),
  ]);
  for (const size of [1, 2, 3, 7, 8, 9, 13, stream.length]) {
    const out = collector();
    const err = collector();
    const demux = new Demultiplexer(out, err);
    for (let i = 0; i < stream.length; i += size) demux.push(stream.subarray(i, i + size));
    expect([out.text(), err.text()]).toEqual(['out one\nout two ü\n', 'err one\nerr two €\n']);
  }
});

test('a large frame reaches its sink piece by piece as it arrives, never gathered whole', () => {
  const size = 64 * 1024 * 1024;
  const header = frame(2, Buffer.alloc(0));
  header.writeUInt32BE(size, 4);
  const err = collector();
  const out = collector();
  const demux = new Demultiplexer(out, err);
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  demux.push(Buffer.concat([header, chunk.subarray(0, 100)]));
  // The first bytes are out before the rest of the frame exists.
  expect(err.pieces.map((p) => p.length)).toEqual([100]);
  let sent = 100;
  const started = Date.now();
  while (sent < size) {
    const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
    demux.push(piece);
    sent += piece.length;
  }
  // Each piece is a view of the chunk it came in, at most one chunk long: nothing was concatenated.
  expect(Math.max(...err.pieces.map((p) => p.length))).toBeLessThanOrEqual(chunk.length);
  expect(err.pieces.reduce((n, p) => n + p.length, 0)).toBe(size);
  // Gathering the frame chunk by chunk (Buffer.concat each time) copies about size²/(2·chunk) bytes: 32 GB here.
  expect(Date.now() - started).toBeLessThan(2000);
  demux.push(frame(1, Buffer.from('after\n')));
  expect(out.text()).toBe('after\n');
});
