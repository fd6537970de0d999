/** Splits the Docker engine's multiplexed exec/attach stream (no TTY) into stdout and stderr. */

/** Where demultiplexed bytes go. */
export interface ByteSink {
  push(chunk: Buffer): void;
}

/** Bytes in a frame header. */
const HEADER_BYTES = 8;

/**
 * Frames of an 8-byte header (stream type, 3 zero bytes, big-endian length) and a
 * payload; type 2 is stderr, anything else stdout. A payload goes to its sink in
 * the pieces it arrives in, so a frame of any size (one 200 MB write is one
 * frame) is never held whole; only a header split across chunks is kept.
 */
export class Demultiplexer {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  /** Payload bytes of the current frame still to come. */
  private remaining = 0;
  private sink?: ByteSink;

  constructor(
    private readonly stdout: ByteSink,
    private readonly stderr: ByteSink,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        this.sink!.push(chunk.subarray(at, at + take));
        at += take;
        continue;
      }
      const take = Math.min(HEADER_BYTES - this.headerBytes, chunk.length - at);
      chunk.copy(this.header, this.headerBytes, at, at + take);
      this.headerBytes += take;
      at += take;
      if (this.headerBytes < HEADER_BYTES) break;
      this.headerBytes = 0;
      this.sink = this.header[0] === 2 ? this.stderr : this.stdout;
      this.remaining = this.header.readUInt32BE(4);
    }
  }
}
