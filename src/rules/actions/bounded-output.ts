/** The most output an action outcome keeps (64 KiB): enough to read, bounded for logs and the store. */
export const MAX_ACTION_OUTPUT_BYTES = 64 * 1024;

/**
 * Collects an action's output up to a byte limit and counts what it drops, so a process printing
 * gigabytes costs no memory; the text keeps the first bytes and says how many more there were.
 */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly maxBytes: number = MAX_ACTION_OUTPUT_BYTES) {}

  /** Adds a chunk, keeping what still fits. */
  add(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    // The marker about dropped bytes must fit inside the limit too
    const room = this.maxBytes - 96 - this.kept;
    if (room <= 0) {
      this.dropped += bytes.length;
      return;
    }
    const part = bytes.length <= room ? bytes : bytes.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
    this.dropped += bytes.length - part.length;
  }

  /** The kept text (invalid UTF-8 shown as U+FFFD), with a last line counting the dropped bytes. */
  text(): string {
    const kept = Buffer.concat(this.chunks, this.kept).toString("utf8");
    return this.dropped === 0 ? kept : `${kept}\n[${this.dropped} more bytes of output not kept]`;
  }

  /** True when nothing was added. */
  get empty(): boolean {
    return this.kept === 0 && this.dropped === 0;
  }
}
