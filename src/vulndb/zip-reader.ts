import { type FileHandle, open } from "node:fs/promises";
import {
  checkDirectory,
  type DirectoryLocation,
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
  type ZipLimits,
  zip64RecordPosition,
} from "../io/zip-format.js";
import { CipError } from "../model/errors.js";

export type { ZipEntry, ZipLimits } from "../io/zip-format.js";

/** Defaults sized for OSV's per-ecosystem `all.zip` exports (the largest hold a few hundred thousand records). */
export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = {
  maxEntries: 2_000_000,
  maxEntryBytes: 32 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024 * 1024,
  maxRatio: 1100,
};

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

const ERRORS: ZipErrors = { damaged: (where, what) => zipError(where, what), tooLarge: bombError };

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
    const header = await this.readRange(entry.localOffset, LOCAL_HEADER_SIZE, where);
    const dataStart = entryDataStart(header, entry, where, ERRORS);
    return inflateEntry(await this.readRange(dataStart, entry.compressedSize, where), entry, where, ERRORS);
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

async function locateDirectory(handle: FileHandle, size: number, path: string): Promise<DirectoryLocation> {
  const tailLength = Math.min(size, EOCD_SEARCH_BYTES);
  const tail = await readExactly(handle, size - tailLength, tailLength, path);
  const { zip64LocatorAt, ...location } = readEndRecord(tail, size - tailLength, path, ERRORS);
  if (zip64LocatorAt === undefined) return location;
  const locator = await readExactly(handle, zip64LocatorAt, ZIP64_LOCATOR_SIZE, path);
  const record64At = zip64RecordPosition(locator, size, path, ERRORS);
  if (record64At === undefined) return location;
  return readZip64EndRecord(await readExactly(handle, record64At, ZIP64_EOCD_SIZE, path), path, ERRORS);
}

async function readCentralDirectory(
  handle: FileHandle,
  size: number,
  path: string,
  limits: ZipLimits,
): Promise<ZipEntry[]> {
  const location = await locateDirectory(handle, size, path);
  checkDirectory(location, size, path, limits, ERRORS);
  const directory = await readExactly(handle, location.offset, location.size, path);
  return parseCentralDirectory(directory, location.count, size, path, limits, ERRORS);
}
