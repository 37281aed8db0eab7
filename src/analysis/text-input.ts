import { CipError } from "../model/index.js";

/** Default byte limit of one metadata file a reader accepts (package.json, METADATA, gemspec, manifest). */
export const METADATA_MAX_BYTES = 4 * 1024 * 1024;

/** Default byte limit of one package database (dpkg status, apk installed). */
export const DATABASE_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Decodes a file's bytes as UTF-8 after checking them against a limit; `what` and `path` name the file in
 * the error. Throws CIP_INPUT_TOO_LARGE over the limit.
 */
export function textOf(input: Buffer | string, what: string, path: string, maxBytes: number): string {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) {
    throw new CipError(
      "CIP_INPUT_TOO_LARGE",
      `Cannot read ${what}: it is ${size} bytes, over the ${maxBytes}-byte limit (${path})`,
      { hint: "A package database this large is not one a real image holds; check the layer." },
    );
  }
  const text = typeof input === "string" ? input : input.toString("utf8");
  // A byte-order mark would otherwise become part of the first key
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A parse error naming the file and line: "Cannot read <what>: <problem> (<path> line <n>)". */
export function parseError(
  what: string,
  problem: string,
  path: string,
  line?: number,
  hint?: string,
): CipError {
  const where = line === undefined ? path : `${path} line ${line}`;
  return new CipError("CIP_PACKAGE_DB_INVALID", `Cannot read ${what}: ${problem} (${where})`, {
    hint: hint ?? "The file is damaged or not the format its path suggests; other files were still read.",
  });
}

/** Splits text into lines without a trailing `\r`, so CRLF files read like LF ones. */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
  }
  return lines;
}
