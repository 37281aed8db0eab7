/**
 * Splits a byte stream into lines (newline-delimited JSON), holding at most `maxLineBytes` of an unfinished
 * line: a longer line makes `push` throw the error `tooLong()` builds, so an endless line cannot grow memory.
 */
export class NdjsonLines {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly tooLong: (maxLineBytes: number) => Error,
  ) {}

  /** The complete, non-blank lines this chunk finishes (without their line feed and any carriage return). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.hold(chunk.subarray(start, nl));
      const line = Buffer.concat(this.pending, this.pendingBytes).toString("utf8").replace(/\r$/, "");
      this.pending = [];
      this.pendingBytes = 0;
      if (line.trim() !== "") lines.push(line);
      start = nl + 1;
    }
    this.hold(chunk.subarray(start));
    return lines;
  }

  private hold(part: Buffer): void {
    if (part.byteLength === 0) return;
    this.pendingBytes += part.byteLength;
    if (this.pendingBytes > this.maxLineBytes) throw this.tooLong(this.maxLineBytes);
    this.pending.push(part);
  }
}
