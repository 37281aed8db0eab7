import { inflateRawSync } from "node:zlib";
import { CipError } from "../../model/index.js";

/** One file of a zip archive as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; others are not read. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  localOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** End of central directory record: 22 bytes plus a comment of at most 65,535. */
const EOCD_SEARCH = 22 + 0xffff;

/**
 * Lists the entries of a zip archive held in memory (a jar, war or ear) from its central directory
 * (APPNOTE 4.3.16, 4.3.12): at most `maxEntries`, every offset and length checked against the buffer.
 * Zip64 archives (counts or offsets of 0xFFFF/0xFFFFFFFF) are refused. Throws CIP_IMAGE_INVALID.
 */
export function zipEntries(zip: Buffer, where: string, maxEntries = 65_535): ZipEntry[] {
  const eocd = findEocd(zip);
  if (eocd < 0) throw invalid(where, "no end of central directory record: not a zip archive");
  const count = zip.readUInt16LE(eocd + 10);
  const dirSize = zip.readUInt32LE(eocd + 12);
  const dirOffset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || dirOffset === 0xffffffff) throw invalid(where, "it is a zip64 archive, not read");
  if (count > maxEntries) throw invalid(where, `it has ${count} entries, over the ${maxEntries} limit`);
  if (dirOffset + dirSize > eocd) throw invalid(where, "its central directory lies outside the file");
  const entries: ZipEntry[] = [];
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
      throw invalid(where, `central directory entry ${i + 1} is damaged`);
    }
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > eocd) throw invalid(where, `central directory entry ${i + 1} runs past the directory`);
    entries.push({
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
    });
    at = next;
  }
  return entries;
}

/**
 * The bytes of one entry, stored or deflated, at most `maxBytes` once inflated (a zip bomb stops there).
 * Throws CIP_IMAGE_INVALID for a damaged entry or another method, CIP_DECOMPRESSION_LIMIT past the limit.
 */
export function readZipEntry(zip: Buffer, entry: ZipEntry, where: string, maxBytes: number): Buffer {
  const at = entry.localOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL_SIGNATURE) {
    throw invalid(where, `the local header of ${entry.name} is damaged`);
  }
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > zip.length) throw invalid(where, `the data of ${entry.name} runs past the end of the archive`);
  const data = zip.subarray(start, end);
  if (entry.method === 0) {
    if (data.length > maxBytes) throw tooLarge(where, entry.name, maxBytes);
    return data;
  }
  if (entry.method !== 8) throw invalid(where, `${entry.name} uses compression method ${entry.method}`);
  try {
    return inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw tooLarge(where, entry.name, maxBytes);
    throw invalid(where, `${entry.name} does not inflate (${(error as Error).message})`);
  }
}

/** The offset of the end of central directory record, searched backwards; -1 when there is none. */
function findEocd(zip: Buffer): number {
  const stop = Math.max(0, zip.length - EOCD_SEARCH);
  for (let at = zip.length - 22; at >= stop; at--) {
    if (zip.readUInt32LE(at) === EOCD_SIGNATURE) return at;
  }
  return -1;
}

function invalid(where: string, what: string): CipError {
  return new CipError("CIP_IMAGE_INVALID", `Cannot read zip archive: ${what} (${where})`);
}

function tooLarge(where: string, name: string, maxBytes: number): CipError {
  return new CipError(
    "CIP_DECOMPRESSION_LIMIT",
    `Cannot read zip archive: ${name} inflates to more than ${maxBytes} bytes (${where})`,
  );
}
