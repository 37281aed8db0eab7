import {
  checkDirectory,
  EOCD_SEARCH_BYTES,
  entryDataStart,
  inflateEntry,
  LOCAL_HEADER_SIZE,
  parseCentralDirectory,
  readEndRecord,
  readZip64EndRecord,
  ZIP64_EOCD_SIZE,
  ZIP64_LOCATOR_SIZE,
  type ZipEntry,
  type ZipErrors,
  zip64RecordPosition,
} from "../../io/zip-format.js";
import { CipError } from "../../model/index.js";

export type { ZipEntry } from "../../io/zip-format.js";

// A jar holds classes, rarely more than a few hundred MB expanded; one entry is read at most to the caller's limit
const JAR_LIMITS = {
  maxEntryBytes: 2 * 1024 * 1024 * 1024,
  maxTotalBytes: Number.MAX_SAFE_INTEGER,
  maxRatio: 1100,
};

const ERRORS: ZipErrors = {
  damaged: (where, what) => new CipError("CIP_IMAGE_INVALID", `Cannot read zip archive: ${what} (${where})`),
  tooLarge: (where, what) =>
    new CipError("CIP_DECOMPRESSION_LIMIT", `Cannot read zip archive: ${what} (${where})`),
};

/**
 * Lists the entries of a zip archive held in memory (a jar, war or ear) from its central directory, ZIP64
 * included: at most `maxEntries`, every offset and size checked against the buffer, overlapping entries refused.
 * Throws CIP_IMAGE_INVALID for a damaged archive, CIP_DECOMPRESSION_LIMIT past a limit.
 */
export function zipEntries(zip: Buffer, where: string, maxEntries = 65_535): ZipEntry[] {
  const limits = { ...JAR_LIMITS, maxEntries };
  const tailStart = Math.max(0, zip.length - EOCD_SEARCH_BYTES);
  const { zip64LocatorAt, ...classic } = readEndRecord(zip.subarray(tailStart), tailStart, where, ERRORS);
  let location = classic;
  if (zip64LocatorAt !== undefined) {
    const locator = zip.subarray(zip64LocatorAt, zip64LocatorAt + ZIP64_LOCATOR_SIZE);
    const record = zip64RecordPosition(locator, zip.length, where, ERRORS);
    if (record !== undefined) {
      location = readZip64EndRecord(zip.subarray(record, record + ZIP64_EOCD_SIZE), where, ERRORS);
    }
  }
  checkDirectory(location, zip.length, where, limits, ERRORS);
  const directory = zip.subarray(location.offset, location.offset + location.size);
  return parseCentralDirectory(directory, location.count, zip.length, where, limits, ERRORS);
}

/**
 * The bytes of one entry, stored or deflated, checked against its CRC-32; refused before inflating when it
 * declares more than `maxBytes` (a zip bomb stops there). Throws CIP_IMAGE_INVALID for a damaged entry or
 * another method, CIP_DECOMPRESSION_LIMIT past the limit.
 */
export function readZipEntry(zip: Buffer, entry: ZipEntry, where: string, maxBytes: number): Buffer {
  const at = `${where}!${entry.name}`;
  if (entry.uncompressedSize > maxBytes) {
    throw ERRORS.tooLarge(
      at,
      `the entry expands to ${entry.uncompressedSize} bytes, over the ${maxBytes}-byte limit`,
    );
  }
  const header = zip.subarray(entry.localOffset, entry.localOffset + LOCAL_HEADER_SIZE);
  const start = entryDataStart(header, entry, at, ERRORS);
  const end = start + entry.compressedSize;
  if (end > zip.length) throw ERRORS.damaged(at, "the entry's data runs past the end of the archive");
  return inflateEntry(zip.subarray(start, end), entry, at, ERRORS);
}
