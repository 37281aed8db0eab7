import { constants as bufferConstants } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { CipError } from "../model/index.js";
import { formatBytes } from "./format-bytes.js";

/** What a bounded read may read, and how its errors name the file and the limit. */
export interface BoundedRead {
  /** More bytes than this are refused, whatever the file system says of the size. */
  maxBytes: number;
  /** The file as messages name it after "Cannot read": `report x.json`, `the layout's index.json`. */
  what: string;
  /** Appended to messages in parentheses (a path, a layout directory); nothing when `what` says it. */
  where?: string;
  /** The limit's name in messages: "input" reads "over the 64 MiB input limit". */
  limitName: string;
  /** What to do when the limit is hit: name the flag that raises it. */
  limitHint: string;
  /** Refuse devices, pipes and sockets without reading them (files inside an image layout). */
  regularOnly?: boolean;
  /** The hint when the file does not exist; default: check the path. */
  missingHint?: string;
}

/** First chunk for a file of unknown size (pipes, devices, standard input); they double from there. */
const FIRST_CHUNK = 64 * 1024;
const LARGEST_CHUNK = 8 * 1024 * 1024;

/**
 * Reads a whole file, device, pipe or open descriptor (0 is standard input; a descriptor is not closed)
 * in chunks, and stops as soon as it has read more than `maxBytes`, refusing with CIP_INPUT_TOO_LARGE:
 * stat's size is 0 for `/dev/zero`, a pipe or stdin, so only counting the bytes read bounds them. A
 * regular file larger than the limit is refused from its size, before reading. Other failures are
 * CIP_FILE_READ naming the file.
 */
export function readBoundedSync(file: string | number, spec: BoundedRead): Buffer {
  let fd: number;
  try {
    fd = typeof file === "number" ? file : openSync(file, openFlags(spec));
  } catch (error) {
    throw fileError(error, spec);
  }
  try {
    const buffer = new Accumulator(spec, checkStat(fstatSync(fd), spec));
    for (;;) {
      const room = buffer.room();
      const read = readRetrying(fd, buffer.bytes, buffer.length, room);
      if (read === 0) return buffer.content();
      buffer.add(read);
    }
  } catch (error) {
    throw error instanceof CipError ? error : fileError(error, spec);
  } finally {
    if (typeof file !== "number") closeSync(fd);
  }
}

/** As {@link readBoundedSync}, without blocking the event loop; for paths only. */
export async function readBounded(path: string, spec: BoundedRead): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(path, openFlags(spec));
  } catch (error) {
    throw fileError(error, spec);
  }
  try {
    const buffer = new Accumulator(spec, checkStat(await handle.stat(), spec));
    for (;;) {
      const room = buffer.room();
      const { bytesRead } = await handle.read(buffer.bytes, buffer.length, room, null);
      if (bytesRead === 0) return buffer.content();
      buffer.add(bytesRead);
    }
  } catch (error) {
    throw error instanceof CipError ? error : fileError(error, spec);
  } finally {
    await handle.close();
  }
}

// Non-blocking open: opening a FIFO for reading would otherwise wait for a writer before fstat can refuse it
function openFlags(spec: BoundedRead): number {
  return spec.regularOnly ? constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) : constants.O_RDONLY;
}

/** Refuses what must not be read; returns the size to expect for a regular file, else undefined. */
function checkStat(stat: Stats, spec: BoundedRead): number | undefined {
  if (stat.isDirectory()) {
    throw new CipError("CIP_FILE_READ", `Cannot read ${spec.what}: it is a directory${at(spec)}`, {
      hint: "Give a file.",
    });
  }
  if (!stat.isFile()) {
    if (!spec.regularOnly) return undefined;
    throw new CipError(
      "CIP_FILE_READ",
      `Cannot read ${spec.what}: it is ${fileKind(stat)}, not a regular file${at(spec)}`,
      {
        hint: "Only regular files are read here; a device, pipe or socket in their place is a mistake or a trap.",
      },
    );
  }
  if (stat.size > spec.maxBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read ${spec.what}: it is ${formatBytes(stat.size)}, over the ${formatBytes(spec.maxBytes)} ${spec.limitName} limit${at(spec)}`,
      { hint: spec.limitHint },
    );
  }
  return stat.size;
}

/**
 * Chunks read so far, never more than one byte past the limit: that byte proves the input too large. A
 * regular file gets one chunk of its size (plus that byte), so it is not copied; other inputs get chunks
 * doubling from 64 KiB to 8 MiB, so a refused endless input never held more than the limit.
 */
class Accumulator {
  /** The chunk being filled, from `length` on. */
  bytes: Buffer;
  length = 0;
  private readonly full: Buffer[] = [];
  private total = 0;
  private readonly cap: number;

  constructor(
    private readonly spec: BoundedRead,
    expected: number | undefined,
  ) {
    this.cap = spec.maxBytes + 1;
    // One byte more than stat says, so a file that grew since is noticed without a second chunk
    const first = expected !== undefined && expected > 0 ? expected + 1 : FIRST_CHUNK;
    this.bytes = Buffer.allocUnsafe(Math.min(first, this.cap, bufferConstants.MAX_LENGTH));
  }

  /** How many bytes the next read may bring into `bytes` at `length`, starting a chunk when one is full. */
  room(): number {
    if (this.length === this.bytes.length) {
      if (this.total >= this.cap) throw this.tooLarge();
      this.full.push(this.bytes);
      const next = Math.min(Math.max(this.bytes.length * 2, FIRST_CHUNK), LARGEST_CHUNK);
      this.bytes = Buffer.allocUnsafe(Math.min(next, this.cap - this.total));
      this.length = 0;
    }
    return this.bytes.length - this.length;
  }

  add(read: number): void {
    this.length += read;
    this.total += read;
    if (this.total > this.spec.maxBytes) throw this.tooLarge();
  }

  content(): Buffer {
    const last = this.bytes.subarray(0, this.length);
    return this.full.length === 0 ? last : Buffer.concat([...this.full, last], this.total);
  }

  private tooLarge(): CipError {
    return new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read ${this.spec.what}: it is over the ${formatBytes(this.spec.maxBytes)} ${this.spec.limitName} limit (stopped reading after ${this.total} bytes)${at(this.spec)}`,
      { hint: this.spec.limitHint },
    );
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

// A non-blocking standard input (a terminal, some pipes) answers EAGAIN until data comes: wait, then retry
function readRetrying(fd: number, buffer: Buffer, offset: number, length: number): number {
  for (;;) {
    try {
      return readSync(fd, buffer, offset, length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(sleeper, 0, 0, 5);
    }
  }
}

function fileKind(stat: Stats): string {
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isFIFO()) return "a pipe (FIFO)";
  if (stat.isSocket()) return "a socket";
  return "not a file";
}

function at(spec: BoundedRead): string {
  return spec.where === undefined ? "" : ` (${spec.where})`;
}

function fileError(error: unknown, spec: BoundedRead): CipError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : code === "EISDIR"
          ? "it is a directory"
          : (error as Error).message;
  return new CipError("CIP_FILE_READ", `Cannot read ${spec.what}: ${reason}${at(spec)}`, {
    hint:
      code === "ENOENT"
        ? (spec.missingHint ?? "Check the path; relative paths start from the current directory.")
        : "Check the file and its permissions.",
    cause: error,
  });
}
