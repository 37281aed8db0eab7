import { CipError } from "../model/index.js";

/** A JSON object, as parsed. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Reads typed values out of one report document and, when the shape is wrong, throws CIP_REPORT_INVALID
 * saying which format, which file, which path and what was expected.
 */
export class DocumentReader {
  constructor(
    readonly format: string,
    readonly source: string,
  ) {}

  /** The error for a value at `path` that is not what the format requires. */
  invalid(path: string, what: string): CipError {
    return new CipError(
      "CIP_REPORT_INVALID",
      `Cannot read ${this.format} report ${this.source}: ${what} (at ${path})`,
      {
        hint: "The file looks like this format but does not follow it; regenerate the report, or name the format with --report-format if it was detected wrongly.",
      },
    );
  }

  /** `value` as an object, or an error naming `path`. */
  object(value: unknown, path: string): JsonObject {
    if (!isObject(value)) throw this.invalid(path, `expected an object, got ${kindOf(value)}`);
    return value;
  }

  /** `value` as an array (undefined and null read as empty), or an error naming `path`. */
  array(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw this.invalid(path, `expected an array, got ${kindOf(value)}`);
    return value;
  }

  /** A required non-empty string, or an error naming `path`. */
  requiredString(value: unknown, path: string): string {
    if (typeof value === "string" && value !== "") return value;
    if (typeof value === "number") return String(value);
    throw this.invalid(
      path,
      value === undefined ? "a required string is missing" : `expected a string, got ${kindOf(value)}`,
    );
  }
}

/** An optional string: strings as they are, numbers as text, anything else undefined. */
export function optionalString(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** An optional finite number (numeric strings accepted). */
export function optionalNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/** An RFC 3339 time when the value parses as a date, else undefined. */
export function optionalTime(value: unknown): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const date = new Date(typeof value === "number" && value < 1e12 ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Strings of an array, skipping anything else. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
