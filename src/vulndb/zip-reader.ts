import { type FileHandle, open } from "node:fs/promises";
import { crc32, inflateRawSync } from "node:zlib";
import { CipError } from "../model/errors.js";

/** What a zip file may hold before it is refused as too large or a zip bomb. */
export interface ZipLimits {
  /** Most entries the central directory may list. */
  maxEntries: number;
  /** Most bytes one entry may expand to. */
  maxEntryBytes: number;
  /** Most bytes all entries together may expand to. */
  maxTotalBytes: number;
  /** Highest uncompressed/compressed ratio of one entry (deflate tops out near 1032). */
  maxRatio: number;
}

/** Defaults sized for OSV's per-ecosystem `all.zip` exports (the largest hold a few hundred thousand records). */
export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = {
  maxEntries: 2_000_000,
  maxEntryBytes: 32 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024 * 1024,
  maxRatio: 1100,
};

/** One file of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; anything else is refused when read. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Offset of the entry's local header. */
  localOffset: number;
  /** General-purpose flags (bit 0: encrypted). */
  flags: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
// A central directory entry is at least 46 bytes, so this bounds the directory by the entry limit.
const MAX_CENTRAL_ENTRY = CENTRAL_HEADER_SIZE + 3 * 0xffff;
const READ_AHEAD = 1024 * 1024;

function zipError(path: string, what: string, hint?: string): CipError {
  return new CipError("CIP_FILE_READ", `Cannot read zip file: ${what} (${path})`, {
    hint: hint ?? "Give an intact zip file, such as OSV's per-ecosystem all.zip.",
  });
}

function bombError(path: string, what: string): CipError {
  return new CipError("CIP_DECOMPRESSION_LIMIT", `Cannot read zip file: ${what} (${path})`, {
    hint: "The archive expands beyond the zip limits (a zip bomb?); use the export OSV publishes.",
  });
}

/**
 * A zip file opened for reading: its central directory is read and checked at open (entry count, declared
 * sizes, overlapping entries); each entry is then read and inflated on its own, so memory holds one entry
 * at a time. Close it when done.
 */
export class ZipReader {
  // Entries are read in file order, so one read-ahead window serves many small entries per system call.
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  private constructor(
    private readonly handle: FileHandle,
    /** The file as messages name it. */
    readonly path: string,
    /** The entries in central-directory order. */
    readonly entries: readonly ZipEntry[],
    private readonly fileSize: number,
  ) {}

  /** Opens a zip file and reads its central directory; refuses damaged archives and zip bombs. */
  static async open(path: string, limits: Partial<ZipLimits> = {}): Promise<ZipReader> {
    const all = { ...DEFAULT_ZIP_LIMITS, ...limits };
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      throw new CipError("CIP_FILE_READ", `Cannot read zip file: ${(error as Error).message} (${path})`, {
        hint: "Check the path.",
        cause: error,
      });
    }
    try {
      const size = (await handle.stat()).size;
      const entries = await readCentralDirectory(handle, size, path, all);
      return new ZipReader(handle, path, entries, size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The entry's bytes, inflated and checked against its CRC-32 and declared size. */
  async read(entry: ZipEntry): Promise<Buffer> {
    const where = `${this.path}!${entry.name}`;
    if ((entry.flags & 1) !== 0) throw zipError(where, "the entry is encrypted");
    if (entry.method !== 0 && entry.method !== 8) {
      throw zipError(where, `compression method ${entry.method} is not supported (only stored and deflate)`);
    }
    const header = await this.readRange(entry.localOffset, LOCAL_HEADER_SIZE, where);
    if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw zipError(where, "the local header is missing");
    const dataStart =
      entry.localOffset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
    const compressed = await this.readRange(dataStart, entry.compressedSize, where);
    let data: Buffer;
    if (entry.method === 0) {
      data = compressed;
    } else {
      try {
        // One byte over the declared size is enough to tell that the entry lies about it.
        data = inflateRawSync(compressed, { maxOutputLength: entry.uncompressedSize + 1 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
          throw bombError(where, `the entry expands beyond its declared ${entry.uncompressedSize} bytes`);
        }
        throw zipError(where, `the deflate data is damaged: ${(error as Error).message}`);
      }
    }
    if (data.length !== entry.uncompressedSize) {
      throw bombError(
        where,
        `the entry holds ${data.length} bytes, not the declared ${entry.uncompressedSize}`,
      );
    }
    if (crc32(data) >>> 0 !== entry.crc32) throw zipError(where, "the CRC-32 check failed (damaged entry)");
    return data;
  }

  private async readRange(position: number, length: number, where: string): Promise<Buffer> {
    const offset = position - this.windowStart;
    if (offset >= 0 && offset + length <= this.window.length)
      return this.window.subarray(offset, offset + length);
    const size = Math.max(length, Math.min(READ_AHEAD, this.fileSize - position));
    this.window = await readExactly(this.handle, position, size, where);
    this.windowStart = position;
    return this.window.subarray(0, length);
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function readExactly(
  handle: FileHandle,
  position: number,
  length: number,
  where: string,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw zipError(where, "the file ends early (truncated)");
    done += bytesRead;
  }
  return buffer;
}

interface DirectoryLocation {
  count: number;
  size: number;
  offset: number;
}

async function locateDirectory(handle: FileHandle, size: number, path: string): Promise<DirectoryLocation> {
  if (size < EOCD_SIZE) throw zipError(path, "the file is too small to be a zip file");
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tail = await readExactly(handle, size - tailLength, tailLength, path);
  let at = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
      at = i;
      break;
    }
  }
  if (at < 0) throw zipError(path, "no end-of-central-directory record (not a zip file?)");
  const location = {
    count: tail.readUInt16LE(at + 10),
    size: tail.readUInt32LE(at + 12),
    offset: tail.readUInt32LE(at + 16),
  };
  const eocdPosition = size - tailLength + at;
  const needs64 = location.count === 0xffff || location.size === 0xffffffff || location.offset === 0xffffffff;
  if (!needs64 || eocdPosition < 20) return location;
  // ZIP64: the locator sits just before the classic record and points at the 64-bit one.
  const locator = await readExactly(handle, eocdPosition - 20, 20, path);
  if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) return location;
  const record64At = Number(locator.readBigUInt64LE(8));
  if (record64At + 56 > size) throw zipError(path, "the ZIP64 end record lies outside the file");
  const record64 = await readExactly(handle, record64At, 56, path);
  if (record64.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE)
    throw zipError(path, "the ZIP64 end record is missing");
  return {
    count: safeNumber(record64.readBigUInt64LE(32), path),
    size: safeNumber(record64.readBigUInt64LE(40), path),
    offset: safeNumber(record64.readBigUInt64LE(48), path),
  };
}

function safeNumber(value: bigint, path: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw zipError(path, "a ZIP64 size is out of range");
  return Number(value);
}

async function readCentralDirectory(
  handle: FileHandle,
  size: number,
  path: string,
  limits: ZipLimits,
): Promise<ZipEntry[]> {
  const location = await locateDirectory(handle, size, path);
  if (location.count > limits.maxEntries) {
    throw bombError(
      path,
      `the archive lists ${location.count} entries, over the limit of ${limits.maxEntries}`,
    );
  }
  if (location.offset + location.size > size)
    throw zipError(path, "the central directory lies outside the file");
  if (location.size > location.count * MAX_CENTRAL_ENTRY + 1024) {
    throw zipError(path, "the central directory is larger than its entries can be");
  }
  const directory = await readExactly(handle, location.offset, location.size, path);
  const entries: ZipEntry[] = [];
  let pos = 0;
  let total = 0;
  for (let i = 0; i < location.count; i++) {
    if (pos + CENTRAL_HEADER_SIZE > directory.length || directory.readUInt32LE(pos) !== CENTRAL_SIGNATURE) {
      throw zipError(path, `central directory entry ${i + 1} is damaged`);
    }
    const nameLength = directory.readUInt16LE(pos + 28);
    const extraLength = directory.readUInt16LE(pos + 30);
    const commentLength = directory.readUInt16LE(pos + 32);
    const end = pos + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (end > directory.length) throw zipError(path, `central directory entry ${i + 1} is truncated`);
    const flags = directory.readUInt16LE(pos + 8);
    const nameBytes = directory.subarray(pos + CENTRAL_HEADER_SIZE, pos + CENTRAL_HEADER_SIZE + nameLength);
    const entry: ZipEntry = {
      name: nameBytes.toString((flags & 0x800) !== 0 ? "utf8" : "latin1"),
      method: directory.readUInt16LE(pos + 10),
      crc32: directory.readUInt32LE(pos + 16),
      compressedSize: directory.readUInt32LE(pos + 20),
      uncompressedSize: directory.readUInt32LE(pos + 24),
      localOffset: directory.readUInt32LE(pos + 42),
      flags,
    };
    applyZip64Extra(
      entry,
      directory.subarray(pos + CENTRAL_HEADER_SIZE + nameLength, end - commentLength),
      path,
    );
    checkEntry(entry, size, path, limits);
    total += entry.uncompressedSize;
    if (total > limits.maxTotalBytes) {
      throw bombError(path, `the entries expand to more than the ${limits.maxTotalBytes}-byte limit`);
    }
    entries.push(entry);
    pos = end;
  }
  refuseOverlaps(entries, path);
  return entries;
}

function applyZip64Extra(entry: ZipEntry, extra: Buffer, path: string): void {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = extra.readUInt16LE(pos);
    const length = extra.readUInt16LE(pos + 2);
    if (id === 0x0001) {
      // Only the fields saturated in the fixed header are present, in this order.
      let at = pos + 4;
      const next = (): number => {
        if (at + 8 > pos + 4 + length || at + 8 > extra.length)
          throw zipError(path, "a ZIP64 extra field is short");
        const value = safeNumber(extra.readBigUInt64LE(at), path);
        at += 8;
        return value;
      };
      if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localOffset === 0xffffffff) entry.localOffset = next();
      return;
    }
    pos += 4 + length;
  }
}

function checkEntry(entry: ZipEntry, size: number, path: string, limits: ZipLimits): void {
  const where = `${path}!${entry.name}`;
  if (entry.uncompressedSize > limits.maxEntryBytes) {
    throw bombError(
      where,
      `the entry expands to ${entry.uncompressedSize} bytes, over the ${limits.maxEntryBytes}-byte limit`,
    );
  }
  if (entry.localOffset + LOCAL_HEADER_SIZE + entry.compressedSize > size) {
    throw zipError(where, "the entry's data lies outside the file");
  }
  const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
  if (entry.uncompressedSize > 1024 * 1024 && ratio > limits.maxRatio) {
    throw bombError(
      where,
      `the entry expands ${Math.round(ratio)} times, over the ratio limit of ${limits.maxRatio}`,
    );
  }
}

// Overlapping entries let a small file expand many times over (the "better zip bomb"); real archives never overlap.
function refuseOverlaps(entries: readonly ZipEntry[], path: string): void {
  const sorted = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as ZipEntry;
    const current = sorted[i] as ZipEntry;
    if (current.localOffset < previous.localOffset + LOCAL_HEADER_SIZE + previous.compressedSize) {
      throw bombError(
        path,
        `entries ${JSON.stringify(previous.name)} and ${JSON.stringify(current.name)} overlap`,
      );
    }
  }
}
