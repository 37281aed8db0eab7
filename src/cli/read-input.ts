import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { readBoundedSync } from "../io/bounded-read.js";
import { CipError } from "../model/index.js";

export { formatBytes } from "../io/format-bytes.js";

/** Default limit for any input document: 64 MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a UTF-8 text file (or standard input for `-`), refusing anything larger than `maxBytes`: a regular
 * file by its size before reading, a pipe, device or standard input as soon as more was read. Errors say
 * which file, what failed and what to do.
 */
export function readInputFile(path: string, what: string, maxBytes: number): string {
  const name = path === "-" ? "standard input" : path;
  const bytes = readBoundedSync(path === "-" ? 0 : path, {
    maxBytes,
    what: `${what} ${name}`,
    limitName: "input",
    limitHint: "Raise the limit with --max-input-size BYTES if the file is expected to be this large.",
  });
  try {
    return decodeText(bytes);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_STRING_TOO_LONG") throw error;
    // V8 strings hold at most 2^29 - 24 UTF-16 units: a larger --max-input-size cannot make one
    throw new CipError("CIP_INPUT_TOO_LARGE", `Cannot read ${what} ${name}: it is too large for one text`, {
      hint: "Split the document, or give a smaller one; no single text of over 512 MiB can be read.",
      cause: error,
    });
  }
}

/** UTF-8 text, or UTF-16 when the file starts with a UTF-16 byte-order mark (as Windows tools write). */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  // swap16 needs an even length: a truncated last byte of UTF-16 is dropped, as utf16le decoding does
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)))
      .swap16()
      .toString("utf16le");
  return bytes.toString("utf8");
}

/** Parses a size flag's value (`flag` names it in errors): bytes, or with a unit (`200MB`, `64MiB`, `1GiB`). */
export function parseByteSize(text: string, flag = "size"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(text);
  if (!m?.[1]) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use ${flag} ${JSON.stringify(text)}: expected bytes or a number with a unit`,
      {
        hint: "Write for example 200MB, 64MiB or 1048576.",
      },
    );
  }
  const unit = (m[2] ?? "b").toLowerCase();
  const factor: Record<string, number> = {
    b: 1,
    kb: 1e3,
    kib: 1024,
    mb: 1e6,
    mib: 1024 ** 2,
    gb: 1e9,
    gib: 1024 ** 3,
  };
  return Math.floor(Number(m[1]) * (factor[unit] ?? 1));
}

/**
 * Expands report arguments: a file stays itself; a directory gives its `.json` files in name order (a
 * directory of Clair layer reports, say). A directory without any is an error.
 */
export function expandReportPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // Missing files are reported when read, with the reason.
    }
    if (!isDirectory) {
      out.push(path);
      continue;
    }
    const files = readdirSync(path)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => join(path, name));
    if (files.length === 0) {
      throw new CipError(
        "CIP_FILE_READ",
        `Cannot read reports from directory ${path}: it has no .json files`,
        {
          hint: "Point --report at the report files or at a directory of them.",
        },
      );
    }
    out.push(...files);
  }
  return out;
}
