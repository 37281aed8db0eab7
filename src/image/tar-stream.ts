import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";

/** How much of a tar stream was read so far. */
export interface TarStreamCounts {
  gzip: boolean;
  /** Bytes as read (before gunzip); for a plain tar, the tar bytes. */
  compressedBytes: number;
  /** Bytes of the tar stream (after gunzip). */
  tarBytes: number;
  entries: number;
}

/**
 * The caller's bounds, asked as the stream passes: each returns the error that stops the scan, or undefined.
 * Counts are updated before each is asked.
 */
export interface TarStreamGuards {
  /** After each chunk read from a gzip-compressed source. */
  compressed?(counts: TarStreamCounts): unknown;
  /** Before a chunk of the tar stream is parsed. */
  tar(counts: TarStreamCounts, chunk: Buffer): unknown;
  /** When an entry starts, before it is handed on. */
  entry(counts: TarStreamCounts): unknown;
  /** A stream that starts with the end-of-archive marker holds no entries (an empty layer), not an error. */
  acceptEmpty?: boolean;
}

/** Handles one entry as it passes; `fail` ends the scan with an error from inside the entry's data events. */
export type TarEntryCallback = (entry: ReadEntry, fail: (error: unknown) => void) => void;

/** What a scan ended with: the counts, and the first error (a guard's, a handler's or the parser's), if any. */
export interface TarStreamResult {
  counts: TarStreamCounts;
  failure: unknown;
}

// node-tar calls a stream that is only the end-of-archive marker an unrecognised format
function startsWithEndMarker(chunk: Buffer): boolean {
  return chunk.length >= 1024 && chunk.subarray(0, 1024).every((byte) => byte === 0);
}

/**
 * Streams a tar (gzip-compressed when `gzip`) through node-tar once and hands each entry to `onEntry`, in time
 * linear in the bytes that matter: reading stops at the end-of-archive marker, since node-tar keeps every byte
 * after it in one buffer it grows by copying (quadratic on a file of zeros). The guards bound what is read.
 * Nothing is thrown: the result carries the first failure for the caller to word. Aborting `signal` ends the
 * scan (a consumer that stops early), with its reason as the failure.
 */
export async function scanTarStream(
  source: AsyncIterable<Buffer>,
  gzip: boolean,
  guards: TarStreamGuards,
  onEntry: TarEntryCallback,
  signal?: AbortSignal,
): Promise<TarStreamResult> {
  const counts: TarStreamCounts = { gzip, compressedBytes: 0, tarBytes: 0, entries: 0 };
  let eof = false;
  // The parser was ended after the last byte worth reading: a stream aborted then is not an error
  let finished = false;
  let failure: unknown;
  // Compression options off: the parser would otherwise decompress a gzip or zstd inside, unbounded
  const parser = new Parser({ strict: true, zstd: false, brotli: false });
  const fail = (error: unknown) => {
    failure ??= error;
    parser.abort(error as Error);
  };
  parser.on("entry", (entry: ReadEntry) => {
    if (failure !== undefined) {
      entry.resume();
      return;
    }
    try {
      counts.entries++;
      const refused = guards.entry(counts);
      if (refused !== undefined) throw refused;
      onEntry(entry, fail);
    } catch (error) {
      entry.resume();
      fail(error);
    }
  });
  parser.on("eof", () => {
    eof = true;
  });
  // In strict mode every bad header, truncation or abort arrives here; the first one is reported
  parser.on("error", (error: unknown) => {
    failure ??= error;
  });
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counts.compressedBytes += chunk.length;
      const refused = guards.compressed?.(counts);
      if (refused !== undefined) done(refused as Error);
      else done(null, chunk);
    },
  });
  // Refusals go to `failure`, not thrown: pipeline reports a throw from here as a bare abort
  const feed = async (tar: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of tar) {
      const first = counts.tarBytes === 0;
      counts.tarBytes += chunk.length;
      if (!gzip) counts.compressedBytes = counts.tarBytes;
      const refused = guards.tar(counts, chunk);
      if (refused !== undefined) {
        failure ??= refused;
        return;
      }
      if (first && guards.acceptEmpty === true && startsWithEndMarker(chunk)) {
        finished = true;
        return;
      }
      if (!parser.write(chunk)) await parserDrained(parser);
      if (failure !== undefined) return;
      if (eof) break;
    }
    parser.end();
    finished = true;
  };
  const onAbort = () => fail(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted === true) onAbort();
  try {
    // 64 KiB output chunks, not zlib's 16 KiB: a quarter of the per-chunk work in the stages after it
    if (gzip) await pipeline(source, count, createGunzip({ chunkSize: 64 * 1024 }), feed);
    // A plain tar is its own tar stream: the feed counts its bytes, one stage fewer
    else await pipeline(source, feed);
  } catch (error) {
    // Leaving the loop at the end-of-archive marker aborts the streams before it: that is a success
    if (!finished) failure ??= error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return { counts, failure };
}

/** Resolves when a node-tar parser wants more input, or can take none (an error or abort happened). */
export function parserDrained(parser: Parser): Promise<void> {
  return new Promise((done) => {
    const finish = () => {
      parser.off("drain", finish);
      parser.off("error", finish);
      parser.off("abort", finish);
      done();
    };
    parser.on("drain", finish);
    parser.on("error", finish);
    parser.on("abort", finish);
  });
}
