/** Splits the Docker engine's multiplexed exec/attach stream (no TTY) into stdout and stderr. */

/** Where demultiplexed bytes go. */
export interface ByteSink {
  push(chunk: Buffer): void;
}

/**
 * Frames of an 8-byte header (stream type, 3 zero bytes, big-endian length) and a
 * payload; type 2 is stderr, anything else stdout.
 */
export class Demultiplexer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly stdout: ByteSink,
    private readonly stderr: ByteSink,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const payload = this.pending.subarray(8, 8 + size);
      (this.pending[0] === 2 ? this.stderr : this.stdout).push(payload);
      this.pending = this.pending.subarray(8 + size);
    }
  }
}
