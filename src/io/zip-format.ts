import { crc32, inflateRawSync } from "node:zlib";

/**
 * The zip format (APPNOTE 4.3), as pure functions over bytes the caller has read: where the central directory
 * is (ZIP64 included), its entries checked against the file and the limits, and one entry's data inflated and
 * verified. A file reader (OSV exports) and an in-memory one (jars inside layers) share it; each words its
 * errors through {@link ZipErrors}.
 */

/** What a zip may hold before it is refused as too large or a zip bomb. */
export interface ZipLimits {
  /** Most entries the central directory may list. */
  maxEntries: number;
  /** Most bytes one entry may expand to. */
  maxEntryBytes: number;
  /** Most bytes all entries together may expand to. */
  maxTotalBytes: number;
  /** Highest uncompressed/compressed ratio of an entry over 1 MiB (deflate tops out near 1032). */
  maxRatio: number;
}

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

/** How a reader words a refusal: `where` names the file (and `!entry`), `what` says what is wrong. */
export interface ZipErrors {
  /** Not a zip, or a damaged one. */
  damaged(where: string, what: string): Error;
  /** Over a size, count or ratio limit. */
  tooLarge(where: string, what: string): Error;
}

/** Where the central directory is. */
export interface DirectoryLocation {
  count: number;
  size: number;
  offset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** The end-of-central-directory record without its comment. */
export const EOCD_SIZE = 22;
/** How far from the end the record can start: itself plus the longest comment. */
export const EOCD_SEARCH_BYTES = EOCD_SIZE + 0xffff;
/** The ZIP64 locator sits just before the classic record. */
export const ZIP64_LOCATOR_SIZE = 20;
/** The ZIP64 end record's fixed part. */
export const ZIP64_EOCD_SIZE = 56;
export const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
// A central directory entry is at least 46 bytes, so this bounds the directory by the entry limit
const MAX_CENTRAL_ENTRY = CENTRAL_HEADER_SIZE + 3 * 0xffff;

/**
 * Reads the end-of-central-directory record from the file's last bytes (`tail`, starting at `tailStart`).
 * `zip64LocatorAt` is set when the record's values are saturated and a ZIP64 locator may follow up on them.
 */
export function readEndRecord(
  tail: Buffer,
  tailStart: number,
  where: string,
  errors: ZipErrors,
): DirectoryLocation & { zip64LocatorAt?: number } {
  if (tailStart + tail.length < EOCD_SIZE)
    throw errors.damaged(where, "the file is too small to be a zip file");
  let at = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
      at = i;
      break;
    }
  }
  if (at < 0) throw errors.damaged(where, "no end-of-central-directory record (not a zip file?)");
  const location = {
    count: tail.readUInt16LE(at + 10),
    size: tail.readUInt32LE(at + 12),
    offset: tail.readUInt32LE(at + 16),
  };
  const position = tailStart + at;
  const saturated =
    location.count === 0xffff || location.size === 0xffffffff || location.offset === 0xffffffff;
  if (!saturated || position < ZIP64_LOCATOR_SIZE) return location;
  return { ...location, zip64LocatorAt: position - ZIP64_LOCATOR_SIZE };
}

/** The position of the ZIP64 end record a locator points at; undefined when the bytes are no locator. */
export function zip64RecordPosition(locator: Buffer, fileSize: number, where: string, errors: ZipErrors) {
  if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) return undefined;
  const position = Number(locator.readBigUInt64LE(8));
  if (position + ZIP64_EOCD_SIZE > fileSize)
    throw errors.damaged(where, "the ZIP64 end record lies outside the file");
  return position;
}

/** The central directory's place from the ZIP64 end record. */
export function readZip64EndRecord(record: Buffer, where: string, errors: ZipErrors): DirectoryLocation {
  if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE)
    throw errors.damaged(where, "the ZIP64 end record is missing");
  return {
    count: safeNumber(record.readBigUInt64LE(32), where, errors),
    size: safeNumber(record.readBigUInt64LE(40), where, errors),
    offset: safeNumber(record.readBigUInt64LE(48), where, errors),
  };
}

/** Checks the directory's place and size before it is read: its entry count, and that it fits the file. */
export function checkDirectory(
  location: DirectoryLocation,
  fileSize: number,
  where: string,
  limits: ZipLimits,
  errors: ZipErrors,
): void {
  if (location.count > limits.maxEntries) {
    throw errors.tooLarge(
      where,
      `the archive lists ${location.count} entries, over the limit of ${limits.maxEntries}`,
    );
  }
  if (location.offset + location.size > fileSize) {
    throw errors.damaged(where, "the central directory lies outside the file");
  }
  if (location.size > location.count * MAX_CENTRAL_ENTRY + 1024) {
    throw errors.damaged(where, "the central directory is larger than its entries can be");
  }
}

/**
 * The entries of a central directory, each checked: its data inside the file, its size under the entry limit,
 * its ratio under the ratio limit, all of them under the total limit, and no two overlapping.
 */
export function parseCentralDirectory(
  directory: Buffer,
  count: number,
  fileSize: number,
  where: string,
  limits: ZipLimits,
  errors: ZipErrors,
): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let pos = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (pos + CENTRAL_HEADER_SIZE > directory.length || directory.readUInt32LE(pos) !== CENTRAL_SIGNATURE) {
      throw errors.damaged(where, `central directory entry ${i + 1} is damaged`);
    }
    const nameLength = directory.readUInt16LE(pos + 28);
    const extraLength = directory.readUInt16LE(pos + 30);
    const commentLength = directory.readUInt16LE(pos + 32);
    const end = pos + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (end > directory.length) throw errors.damaged(where, `central directory entry ${i + 1} is truncated`);
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
      where,
      errors,
    );
    checkEntry(entry, fileSize, where, limits, errors);
    total += entry.uncompressedSize;
    if (total > limits.maxTotalBytes) {
      throw errors.tooLarge(where, `the entries expand to more than the ${limits.maxTotalBytes}-byte limit`);
    }
    entries.push(entry);
    pos = end;
  }
  refuseOverlaps(entries, where, errors);
  return entries;
}

/**
 * Where an entry's data starts, from its local header (whose name and extra lengths may differ from the
 * central directory's); refuses an encrypted entry and methods other than stored and deflate.
 */
export function entryDataStart(
  localHeader: Buffer,
  entry: ZipEntry,
  where: string,
  errors: ZipErrors,
): number {
  if ((entry.flags & 1) !== 0) throw errors.damaged(where, "the entry is encrypted");
  if (entry.method !== 0 && entry.method !== 8) {
    throw errors.damaged(
      where,
      `compression method ${entry.method} is not supported (only stored and deflate)`,
    );
  }
  if (localHeader.length < LOCAL_HEADER_SIZE || localHeader.readUInt32LE(0) !== LOCAL_SIGNATURE) {
    throw errors.damaged(where, "the local header is missing");
  }
  return entry.localOffset + LOCAL_HEADER_SIZE + localHeader.readUInt16LE(26) + localHeader.readUInt16LE(28);
}

/** An entry's bytes from its stored or deflated data, checked against its declared size and CRC-32. */
export function inflateEntry(compressed: Buffer, entry: ZipEntry, where: string, errors: ZipErrors): Buffer {
  let data: Buffer;
  if (entry.method === 0) {
    data = compressed;
  } else {
    try {
      // One byte over the declared size is enough to tell that the entry lies about it
      data = inflateRawSync(compressed, { maxOutputLength: entry.uncompressedSize + 1 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw errors.tooLarge(where, `the entry expands beyond its declared ${entry.uncompressedSize} bytes`);
      }
      throw errors.damaged(where, `the deflate data is damaged: ${(error as Error).message}`);
    }
  }
  if (data.length !== entry.uncompressedSize) {
    throw errors.tooLarge(
      where,
      `the entry holds ${data.length} bytes, not the declared ${entry.uncompressedSize}`,
    );
  }
  if (crc32(data) >>> 0 !== entry.crc32)
    throw errors.damaged(where, "the CRC-32 check failed (damaged entry)");
  return data;
}

function safeNumber(value: bigint, where: string, errors: ZipErrors): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw errors.damaged(where, "a ZIP64 size is out of range");
  return Number(value);
}

function applyZip64Extra(entry: ZipEntry, extra: Buffer, where: string, errors: ZipErrors): void {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = extra.readUInt16LE(pos);
    const length = extra.readUInt16LE(pos + 2);
    if (id === 0x0001) {
      // Only the fields saturated in the fixed header are present, in this order
      let at = pos + 4;
      const next = (): number => {
        if (at + 8 > pos + 4 + length || at + 8 > extra.length)
          throw errors.damaged(where, "a ZIP64 extra field is short");
        const value = safeNumber(extra.readBigUInt64LE(at), where, errors);
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

function checkEntry(
  entry: ZipEntry,
  fileSize: number,
  where: string,
  limits: ZipLimits,
  errors: ZipErrors,
): void {
  const at = `${where}!${entry.name}`;
  if (entry.uncompressedSize > limits.maxEntryBytes) {
    throw errors.tooLarge(
      at,
      `the entry expands to ${entry.uncompressedSize} bytes, over the ${limits.maxEntryBytes}-byte limit`,
    );
  }
  if (entry.localOffset + LOCAL_HEADER_SIZE + entry.compressedSize > fileSize) {
    throw errors.damaged(at, "the entry's data lies outside the file");
  }
  const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
  if (entry.uncompressedSize > 1024 * 1024 && ratio > limits.maxRatio) {
    throw errors.tooLarge(
      at,
      `the entry expands ${Math.round(ratio)} times, over the ratio limit of ${limits.maxRatio}`,
    );
  }
}

// Overlapping entries let a small file expand many times over (the "better zip bomb"); real archives never overlap
function refuseOverlaps(entries: readonly ZipEntry[], where: string, errors: ZipErrors): void {
  const sorted = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as ZipEntry;
    const current = sorted[i] as ZipEntry;
    if (current.localOffset < previous.localOffset + LOCAL_HEADER_SIZE + previous.compressedSize) {
      throw errors.tooLarge(
        where,
        `entries ${JSON.stringify(previous.name)} and ${JSON.stringify(current.name)} overlap`,
      );
    }
  }
}
