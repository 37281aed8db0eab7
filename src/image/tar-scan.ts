import { createReadStream, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { formatBytes } from "../io/format-bytes.js";
import { CipError } from "../model/index.js";
import type { ArchiveLimits } from "./archive-limits.js";

/** How messages name the archive, and what to do with one that is not a tar. */
export interface TarLabel {
  /** "docker archive": messages read "Cannot read docker archive: …". */
  what: string;
  /** The hint for a file that is not a (gzip-compressed) tar. */
  formatHint: string;
}

/** What a scan saw: whether the archive was gzip-compressed, and how much it read. */
export interface TarScan {
  gzip: boolean;
  archiveBytes: number;
  tarBytes: number;
  entries: number;
}

/**
 * Handles one entry as it streams by. Throwing (a CipError) ends the scan with that error; `fail` does
 * the same from inside the entry's own data events, where throwing would unwind through the parser.
 */
export type TarEntryHandler = (entry: ReadEntry, fail: (error: CipError) => void) => void;

/** The bytes a zstd frame starts with (RFC 8878); Node 20's zlib has no zstd. */
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

interface ScanState extends TarScan {
  eof: boolean;
  /** The parser was ended after the last byte worth reading: a stream aborted then is not an error. */
  finished: boolean;
  failure: unknown;
}

/**
 * Streams a tar file (gzip-compressed or not) once and hands each entry to `onEntry`, in time linear in
 * the bytes that matter: reading stops at the end-of-archive marker (two zero blocks), since node-tar
 * keeps every byte after it in one buffer it grows by copying, which is quadratic on a file of zeros.
 * The archive's bytes as read, its tar stream once decompressed and its entries are counted against
 * `limits`: CIP_INPUT_TOO_LARGE for the archive, CIP_DECOMPRESSION_LIMIT for the others.
 */
export async function scanTar(
  path: string,
  label: TarLabel,
  limits: ArchiveLimits,
  onEntry: TarEntryHandler,
): Promise<TarScan> {
  const { source, gzip } = await openArchive(path, label, limits);
  const state: ScanState = {
    gzip,
    archiveBytes: 0,
    tarBytes: 0,
    entries: 0,
    eof: false,
    finished: false,
    failure: undefined,
  };
  // Compression options off: the parser would otherwise decompress a gzip or zstd inside, unbounded
  const parser = new Parser({ strict: true, zstd: false, brotli: false });
  const fail = (error: unknown) => {
    state.failure ??= error;
    parser.abort(error as Error);
  };
  parser.on("entry", (entry: ReadEntry) => {
    if (state.failure !== undefined) {
      entry.resume();
      return;
    }
    try {
      state.entries++;
      if (state.entries > limits.maxEntries) throw entryLimit(state, limits, path, label);
      onEntry(entry, fail);
    } catch (error) {
      entry.resume();
      fail(error);
    }
  });
  parser.on("eof", () => {
    state.eof = true;
  });
  // In strict mode every bad header, truncation or abort arrives here; the first one is reported
  parser.on("error", (error: unknown) => {
    state.failure ??= error;
  });
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      state.archiveBytes += chunk.length;
      if (state.archiveBytes > limits.maxArchiveBytes) done(archiveTooLarge(state, limits, path, label));
      else done(null, chunk);
    },
  });
  const feed = (source: AsyncIterable<Buffer>) => feedParser(source, parser, state, limits, path, label);
  try {
    // 64 KiB output chunks, not zlib's 16 KiB: a quarter of the per-chunk work in the stages after it
    if (gzip) await pipeline(source, count, createGunzip({ chunkSize: 64 * 1024 }), feed);
    // A plain tar is its own tar stream: the feed counts its bytes, one stage fewer
    else await pipeline(source, feed);
  } catch (error) {
    // Leaving the loop at the end-of-archive marker aborts the streams before it: that is a success
    if (!state.finished) state.failure ??= error;
  }
  if (state.failure !== undefined) throw scanError(state.failure, gzip, path, label);
  return { gzip, archiveBytes: state.archiveBytes, tarBytes: state.tarBytes, entries: state.entries };
}

/**
 * Writes the tar stream into the parser, bounded, and stops at the end-of-archive marker. Its own
 * refusals go to the state, not thrown: pipeline reports a throw from here as a bare abort.
 */
async function feedParser(
  source: AsyncIterable<Buffer>,
  parser: Parser,
  state: ScanState,
  limits: ArchiveLimits,
  path: string,
  label: TarLabel,
): Promise<void> {
  for await (const chunk of source) {
    if (state.tarBytes === 0 && chunk[0] === 0x1f && chunk[1] === 0x8b) {
      state.failure ??= invalid(
        `Cannot read ${label.what}: it is gzip-compressed twice (${path})`,
        label.formatHint,
      );
      return;
    }
    state.tarBytes += chunk.length;
    if (!state.gzip) state.archiveBytes = state.tarBytes;
    if (state.archiveBytes > limits.maxArchiveBytes) {
      state.failure ??= archiveTooLarge(state, limits, path, label);
      return;
    }
    if (state.tarBytes > limits.maxDecompressedBytes) {
      state.failure ??= decompressedTooLarge(state, limits, path, label);
      return;
    }
    if (!parser.write(chunk)) await drained(parser);
    if (state.failure !== undefined) return;
    if (state.eof) break;
  }
  parser.end();
  state.finished = true;
}

/** Resolves when the parser wants more, or can take nothing more (an error or abort is in the state). */
function drained(parser: Parser): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      parser.off("drain", done);
      parser.off("error", done);
      parser.off("abort", done);
      resolve();
    };
    parser.on("drain", done);
    parser.on("error", done);
    parser.on("abort", done);
  });
}

/**
 * Opens the archive and peeks at its first bytes, put back for the pipeline: whether it is gzip. Peeking
 * at the stream rather than reading at offset 0 lets a pipe (`docker save … | … docker-archive:/dev/stdin`)
 * be read too. Refuses a directory, zstd, and a regular file already over the archive size limit.
 */
async function openArchive(
  path: string,
  label: TarLabel,
  limits: ArchiveLimits,
): Promise<{ source: Readable; gzip: boolean }> {
  const fail = (error: unknown) =>
    error instanceof CipError
      ? error
      : new CipError("CIP_FILE_READ", `Cannot read ${label.what}: ${(error as Error).message} (${path})`, {
          hint: label.formatHint,
          cause: error,
        });
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw fail(error);
  }
  if (info.isDirectory()) {
    throw new CipError("CIP_FILE_READ", `Cannot read ${label.what}: it is a directory (${path})`, {
      hint: label.formatHint,
    });
  }
  if (info.isFile() && info.size > limits.maxArchiveBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read ${label.what}: it is ${formatBytes(info.size)}, over the ${formatBytes(limits.maxArchiveBytes)} archive size limit (${path})`,
      { hint: ARCHIVE_HINT },
    );
  }
  const source = createReadStream(path);
  let head: Buffer;
  try {
    head = await peek(source, ZSTD_MAGIC.length);
  } catch (error) {
    source.destroy();
    throw fail(error);
  }
  if (ZSTD_MAGIC.every((byte, i) => head[i] === byte)) {
    source.destroy();
    throw invalid(
      `Cannot read ${label.what}: it is zstd-compressed, which this reader does not decompress (${path})`,
      "Decompress it first (zstd -d FILE), or save it plain or gzip-compressed.",
    );
  }
  return { source, gzip: head[0] === 0x1f && head[1] === 0x8b };
}

/** The first `count` bytes of a stream (fewer at its end), left unread in it. */
async function peek(stream: Readable, count: number): Promise<Buffer> {
  const taken: Buffer[] = [];
  let length = 0;
  let ended = false;
  stream.once("end", () => {
    ended = true;
  });
  while (length < count && !ended) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      taken.push(chunk);
      length += chunk.length;
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const done = (error?: unknown) => {
        stream.off("readable", done);
        stream.off("end", done);
        stream.off("error", done);
        if (error instanceof Error) reject(error);
        else resolve();
      };
      stream.on("readable", done);
      stream.on("end", done);
      stream.on("error", done);
    });
  }
  const head = Buffer.concat(taken, length);
  if (length > 0) stream.unshift(head);
  return head;
}

const ARCHIVE_HINT = "Raise the limit with --max-archive-size BYTES for an archive you trust.";

function archiveTooLarge(state: TarScan, limits: ArchiveLimits, path: string, label: TarLabel): CipError {
  return new CipError(
    "CIP_INPUT_TOO_LARGE",
    `Cannot read ${label.what}: it is over the ${formatBytes(limits.maxArchiveBytes)} archive size limit (stopped reading after ${state.archiveBytes} bytes) (${path})`,
    { hint: ARCHIVE_HINT },
  );
}

function decompressedTooLarge(
  state: TarScan,
  limits: ArchiveLimits,
  path: string,
  label: TarLabel,
): CipError {
  const from = state.gzip ? `, expanded from ${state.archiveBytes} compressed bytes` : "";
  return new CipError(
    "CIP_DECOMPRESSION_LIMIT",
    `Cannot read ${label.what}: its tar stream is over the ${formatBytes(limits.maxDecompressedBytes)} decompressed size limit (stopped after ${state.tarBytes} bytes${from}) (${path})`,
    {
      hint: "Raise the limit with --max-decompressed-size BYTES for an archive you trust; an archive expanding this much may be a decompression bomb.",
    },
  );
}

function entryLimit(state: TarScan, limits: ArchiveLimits, path: string, label: TarLabel): CipError {
  return new CipError(
    "CIP_DECOMPRESSION_LIMIT",
    `Cannot read ${label.what}: it has more than ${limits.maxEntries} entries, the archive entry limit (stopped at entry ${state.entries}, after ${state.tarBytes} bytes of tar) (${path})`,
    {
      hint: "Raise the limit with --max-archive-entries N for an archive you trust; docker save writes a few entries per layer.",
    },
  );
}

function scanError(error: unknown, gzip: boolean, path: string, label: TarLabel): CipError {
  if (error instanceof CipError) return error;
  const code = (error as { code?: string }).code;
  if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
    return new CipError("CIP_FILE_READ", `Cannot read ${label.what}: ${(error as Error).message} (${path})`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return invalid(
    `Cannot read ${label.what}: it is not a valid ${gzip ? "gzip-compressed " : ""}tar file: ${message} (${path})`,
    label.formatHint,
  );
}

function invalid(message: string, hint: string): CipError {
  return new CipError("CIP_IMAGE_INVALID", message, { hint });
}
