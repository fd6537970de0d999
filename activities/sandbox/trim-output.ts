/** Trims command output to head + marker + tail without splitting UTF-8 characters. */

/** True for a UTF-8 continuation byte (10xxxxxx), which never starts a character. */
function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/**
 * Joins the kept head and tail of an output of `total` bytes. `head` holds at
 * least the first min(total, maxBytes) bytes and `tail` the last min(total, maxBytes).
 */
function joinTrimmed(head: Buffer, tail: Buffer, total: number, maxBytes: number): string {
  const budget = Math.max(0, Math.floor(maxBytes));
  let headEnd = Math.floor(budget / 2);
  while (headEnd > 0 && isContinuation(head[headEnd])) headEnd--;
  // Offsets below are positions in the whole output; tail starts at total - tail.length.
  const tailOffset = total - tail.length;
  let tailStart = total - (budget - Math.floor(budget / 2));
  while (tailStart < total && isContinuation(tail[tailStart - tailOffset])) tailStart++;
  const omitted = tailStart - headEnd;
  return (
    head.subarray(0, headEnd).toString('utf8') +
    `\n…[${omitted} bytes omitted]…\n` +
    tail.subarray(tailStart - tailOffset).toString('utf8')
  );
}

/**
 * Returns `buf` as text if it fits in maxBytes, else its head and tail (maxBytes
 * together) around a marker `\n…[N bytes omitted]…\n`.
 */
export function trimOutput(buf: Buffer, maxBytes: number): string {
  if (buf.length <= maxBytes) return buf.toString('utf8');
  return joinTrimmed(buf, buf.subarray(Math.max(0, buf.length - maxBytes)), buf.length, maxBytes);
}

/**
 * Collects a stream's output in bounded memory: the first and last maxBytes and
 * the total count. What it keeps is copied out of the pushed chunks, so a large
 * chunk is not held alive by the few bytes kept of it; memory stays within about
 * 3 × maxBytes whatever the stream's size.
 */
export class OutputCollector {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Every byte received, kept or not. */
  total = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.maxBytes) {
      const taken = Buffer.from(chunk.subarray(0, this.maxBytes - this.headBytes));
      this.head.push(taken);
      this.headBytes += taken.length;
    }
    if (chunk.length >= this.maxBytes) {
      // This chunk alone holds the whole tail.
      this.tail = [Buffer.from(chunk.subarray(chunk.length - this.maxBytes))];
      this.tailBytes = this.maxBytes;
      return;
    }
    this.tail.push(Buffer.from(chunk));
    this.tailBytes += chunk.length;
    if (this.tailBytes > 2 * this.maxBytes) {
      const joined = Buffer.concat(this.tail);
      this.tail = [joined.subarray(joined.length - this.maxBytes)];
      this.tailBytes = this.maxBytes;
    }
  }

  /** The output as trimOutput would give it for the whole stream. */
  text(): string {
    const head = Buffer.concat(this.head);
    if (this.total <= this.maxBytes) return head.toString('utf8');
    const tail = Buffer.concat(this.tail);
    return joinTrimmed(head, tail.subarray(Math.max(0, tail.length - this.maxBytes)), this.total, this.maxBytes);
  }
}
