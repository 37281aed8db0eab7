import type { ErrorCode } from "../model/index.js";
import type { ParamKind, ParamSpec } from "./gate-types.js";
import { compilePythonRegex, PythonRegexError, regexProblem } from "./python-regex.js";

/** A parsed parameter value. */
export type ParamValue = string | boolean | number | string[] | number[] | Record<string, string>;

/** Parameter values of one rule, parsed by kind, with typed accessors. Absent parameters read as undefined. */
export class TriggerParams {
  private readonly values: ReadonlyMap<string, ParamValue>;
  /** The raw strings, by lower-case name, as written in the bundle. */
  readonly raw: ReadonlyMap<string, string>;

  constructor(values: ReadonlyMap<string, ParamValue>, raw: ReadonlyMap<string, string>) {
    this.values = values;
    this.raw = raw;
  }

  /** True when the rule gives this parameter. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A `string`, `enum` or `regex` parameter. */
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === "string" ? v : undefined;
  }

  /** A `boolean` parameter. */
  boolean(name: string): boolean | undefined {
    const v = this.values.get(name);
    return typeof v === "boolean" ? v : undefined;
  }

  /** An `integer` or `float` parameter. */
  number(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === "number" ? v : undefined;
  }

  /** A `string-list`, `enum-list` or `pipe-list` parameter. */
  list(name: string): string[] | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) ? v.map(String) : undefined;
  }

  /** An `int-list` parameter. */
  intList(name: string): number[] | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) ? v.map(Number) : undefined;
  }

  /** A `name-version-list` parameter. */
  nameVersions(name: string): Record<string, string> | undefined {
    const v = this.values.get(name);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
  }
}

/** Splits a delimited list and trims each item, as anchore-engine's `delim_parser`. */
export function splitList(value: string, delimiter: string): string[] {
  const trimmed = value.trim();
  return trimmed === "" ? [] : trimmed.split(delimiter).map((item) => item.trim());
}

const LIST_ITEM = {
  "string-list": /^[^,]+$/,
  "int-list": /^\d+$/,
  "pipe-list": /^[^|]+$/,
} as const;

/** Why a raw value was refused: what was expected, or (`which`) what is wrong with it, and the code. */
export interface ParamRefusal {
  expected: string;
  which?: string;
  code?: ErrorCode;
}

/**
 * Checks one raw value against its declared kind and parses it. Returns the parsed value, or a
 * ParamRefusal saying what was expected.
 */
export function parseParamValue(spec: ParamSpec, raw: string): { value: ParamValue } | ParamRefusal {
  switch (spec.kind) {
    case "string":
      return { value: raw };
    case "regex": {
      try {
        compilePythonRegex(raw);
        return { value: raw };
      } catch (error) {
        if (!(error instanceof PythonRegexError)) throw error;
        return { expected: "a valid regular expression", which: regexProblem(error), code: error.code };
      }
    }
    case "boolean": {
      const lower = raw.trim().toLowerCase();
      return lower === "true" || lower === "false"
        ? { value: lower === "true" }
        : { expected: '"true" or "false"' };
    }
    case "integer":
      return /^\s*\d+\s*$/.test(raw) ? { value: Number.parseInt(raw, 10) } : { expected: "a whole number" };
    case "float":
      return /^\s*-?\d*(\.\d*)?\s*$/.test(raw) && /\d/.test(raw)
        ? { value: Number.parseFloat(raw) }
        : { expected: "a number" };
    case "enum": {
      const values = spec.values ?? [];
      return values.includes(raw) ? { value: raw } : { expected: `one of ${values.join(", ")}` };
    }
    case "enum-list": {
      const values = spec.values ?? [];
      const items = splitList(raw, ",");
      return items.length > 0 && items.every((i) => values.includes(i))
        ? { value: items }
        : { expected: `a comma-separated list of ${values.join(", ")}` };
    }
    case "string-list":
    case "int-list":
    case "pipe-list":
      return parseList(spec.kind, raw);
    case "name-version-list":
      return parseNameVersions(raw);
  }
}

function parseList(
  kind: "string-list" | "int-list" | "pipe-list",
  raw: string,
): { value: ParamValue } | { expected: string } {
  const items = splitList(raw, kind === "pipe-list" ? "|" : ",");
  const expected = {
    "string-list": "a comma-separated list of strings",
    "int-list": "a comma-separated list of whole numbers",
    "pipe-list": "a |-separated list of strings",
  }[kind];
  if (items.length === 0 || !items.every((i) => LIST_ITEM[kind].test(i))) return { expected };
  return { value: kind === "int-list" ? items.map((i) => Number.parseInt(i, 10)) : items };
}

function parseNameVersions(raw: string): { value: ParamValue } | { expected: string } {
  const result: Record<string, string> = {};
  for (const item of splitList(raw, ",")) {
    const parts = item.split("|");
    if (parts.length !== 2 || !parts[0]?.trim() || !parts[1]?.trim()) {
      return { expected: "a comma-separated list of name|version pairs" };
    }
    result[parts[0].trim()] = parts[1].trim();
  }
  return { value: result };
}

/** Kinds whose parsed value is a list, for documentation. */
export const LIST_KINDS: readonly ParamKind[] = [
  "enum-list",
  "string-list",
  "int-list",
  "pipe-list",
  "name-version-list",
];
