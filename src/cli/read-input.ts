import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CipError } from "../model/index.js";

/** Default limit for any input document: 64 MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a UTF-8 text file (or standard input for `-`), refusing before reading anything larger than
 * `maxBytes`. Errors say which file, what failed and what to do.
 */
export function readInputFile(path: string, what: string, maxBytes: number): string {
  if (path === "-") return readStdin(what, maxBytes);
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      throw new CipError("CIP_FILE_READ", `Cannot read ${what} ${path}: it is a directory`, {
        hint: "Give a file.",
      });
    }
    size = stat.size;
  } catch (error) {
    if (error instanceof CipError) throw error;
    throw fileError(path, what, error);
  }
  if (size > maxBytes) throw tooLarge(path, what, size, maxBytes);
  try {
    return decodeText(readFileSync(path));
  } catch (error) {
    throw fileError(path, what, error);
  }
}

/** UTF-8 text, or UTF-16 when the file starts with a UTF-16 byte-order mark (as Windows tools write). */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2)).swap16().toString("utf16le");
  return bytes.toString("utf8");
}

function readStdin(what: string, maxBytes: number): string {
  const buffer = readFileSync(0);
  if (buffer.length > maxBytes) throw tooLarge("standard input", what, buffer.length, maxBytes);
  return decodeText(buffer);
}

function tooLarge(path: string, what: string, size: number, maxBytes: number): CipError {
  return new CipError(
    "CIP_INPUT_TOO_LARGE",
    `Cannot read ${what} ${path}: it is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} input limit`,
    { hint: "Raise the limit with --max-input-size BYTES if the file is expected to be this large." },
  );
}

function fileError(path: string, what: string, error: unknown): CipError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : code === "EISDIR"
          ? "it is a directory"
          : (error as Error).message;
  return new CipError("CIP_FILE_READ", `Cannot read ${what} ${path}: ${reason}`, {
    hint:
      code === "ENOENT"
        ? "Check the path; relative paths start from the current directory."
        : "Check the file and its permissions.",
    cause: error,
  });
}

/** Bytes for people: `200.0 MB`, `64 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/** Parses a `--max-input-size` value: bytes, or with a unit (`200MB`, `64MiB`, `1GiB`). */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(text);
  if (!m?.[1]) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use size ${JSON.stringify(text)}: expected bytes or a number with a unit`,
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
