import { createReadStream, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { ReadEntry } from "tar";
import { formatBytes } from "../io/format-bytes.js";
import { CipError } from "../model/index.js";
import type { ArchiveLimits } from "./archive-limits.js";
import { scanTarStream, type TarEntryCallback, type TarStreamCounts } from "./tar-stream.js";

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

/**
 * Streams a tar file (gzip-compressed or not) once and hands each entry to `onEntry` (scanTarStream), in time
 * linear in the bytes that matter. The archive's bytes as read, its tar stream once decompressed and its
 * entries are counted against `limits`: CIP_INPUT_TOO_LARGE for the archive, CIP_DECOMPRESSION_LIMIT for the
 * others.
 */
export async function scanTar(
  path: string,
  label: TarLabel,
  limits: ArchiveLimits,
  onEntry: TarEntryHandler,
): Promise<TarScan> {
  const { source, gzip } = await openArchive(path, label, limits);
  const { counts, failure } = await scanTarStream(
    source,
    gzip,
    {
      compressed: (c) =>
        c.compressedBytes > limits.maxArchiveBytes
          ? archiveTooLarge(scanOf(c), limits, path, label)
          : undefined,
      tar: (c, chunk) => {
        if (c.tarBytes === chunk.length && chunk[0] === 0x1f && chunk[1] === 0x8b) {
          return invalid(
            `Cannot read ${label.what}: it is gzip-compressed twice (${path})`,
            label.formatHint,
          );
        }
        if (c.compressedBytes > limits.maxArchiveBytes)
          return archiveTooLarge(scanOf(c), limits, path, label);
        if (c.tarBytes > limits.maxDecompressedBytes)
          return decompressedTooLarge(scanOf(c), limits, path, label);
        return undefined;
      },
      entry: (c) => (c.entries > limits.maxEntries ? entryLimit(scanOf(c), limits, path, label) : undefined),
    },
    onEntry as TarEntryCallback,
  );
  if (failure !== undefined) throw scanError(failure, gzip, path, label);
  return scanOf(counts);
}

function scanOf(counts: TarStreamCounts): TarScan {
  return {
    gzip: counts.gzip,
    archiveBytes: counts.compressedBytes,
    tarBytes: counts.tarBytes,
    entries: counts.entries,
  };
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
