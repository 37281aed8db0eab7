import { CipError } from "../../model/index.js";
import { truncateText } from "./answer-text.js";

/** A JSON object as parsed: string keys to unknown values. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a JSON value is, in words for an error message ("an array", "null", "a number"). */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/**
 * The CIP_REQUEST_INVALID error of a Kubernetes document: "Cannot read the <document>: <what> (<path>)".
 * The server answers it with 400, which the API server reports to the user as a webhook failure.
 */
export function invalidDocument(document: string, what: string, path: string, hint?: string): CipError {
  const where = path === "" ? "" : ` (${path})`;
  return new CipError("CIP_REQUEST_INVALID", `Cannot read the ${document}: ${what}${where}`, {
    hint: hint ?? `Send a ${document} as the Kubernetes API server does.`,
  });
}

/** A value sent by the client, quoted and cut short for an error message (bodies may be megabytes). */
export function quoteValue(value: string): string {
  return JSON.stringify(truncateText(value, 80));
}

/** Joins two parts of a JSON path, either of which may be empty ("" + "request" is "request"). */
export function childPath(path: string, key: string): string {
  if (key === "") return path;
  return path === "" ? key : `${path}.${key}`;
}

/**
 * Reads an optional string field: absent and null give undefined; any other non-string is an error naming
 * the path, because a number where a name belongs means the sender is not what it claims to be.
 */
export function optionalString(
  object: JsonObject,
  key: string,
  path: string,
  document: string,
): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw invalidDocument(document, `expected a string, got ${describeJson(value)}`, childPath(path, key));
  }
  return value;
}

/** Reads a required non-empty string field; missing, empty or non-string values are errors naming the path. */
export function requiredString(object: JsonObject, key: string, path: string, document: string): string {
  const value = optionalString(object, key, path, document);
  if (value === undefined || value === "") {
    throw invalidDocument(document, value === "" ? "it is empty" : "it is missing", childPath(path, key));
  }
  return value;
}

/** Reads a required object field; anything else is an error naming the path and what was there. */
export function requiredObject(object: JsonObject, key: string, path: string, document: string): JsonObject {
  const value = object[key];
  if (isJsonObject(value)) return value;
  const what =
    value === undefined || value === null
      ? "it is missing"
      : `expected an object, got ${describeJson(value)}`;
  throw invalidDocument(document, what, childPath(path, key));
}

/** Reads an optional list field: absent and null give an empty list; a non-list is an error naming the path. */
export function optionalList(object: JsonObject, key: string, path: string, document: string): unknown[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw invalidDocument(document, `expected a list, got ${describeJson(value)}`, childPath(path, key));
  }
  return value;
}

/** How much of a map of strings is read at most (annotations: the pod's, from a request body). */
export interface MapBounds {
  maxKeys: number;
  maxKeyChars: number;
  maxValueChars: number;
}

/** A bounded map of strings and, when some entries were left out, why. */
export interface BoundedStringMap {
  values: Record<string, string>;
  /** Says how many entries were ignored and why; absent when none were. */
  ignored?: string;
}

/**
 * Reads an optional map of strings within `bounds`: at most `maxKeys` entries are kept, in document order;
 * an entry whose key or value is too long is ignored, and reading stops after the first entry past
 * `maxKeys` (a body may hold a huge map: it is never walked whole). Absent and null give an empty map; a
 * non-object is an error naming the path. A non-string value among the entries read is an error naming the
 * exact key when `nonString` is "refuse", else the entry is ignored like a too long one.
 */
export function boundedStringMap(
  object: JsonObject,
  key: string,
  path: string,
  document: string,
  bounds: MapBounds,
  nonString: "refuse" | "ignore",
): BoundedStringMap {
  const value = object[key];
  const here = childPath(path, key);
  if (value === undefined || value === null) return { values: {} };
  if (!isJsonObject(value)) {
    throw invalidDocument(document, `expected a map of strings, got ${describeJson(value)}`, here);
  }
  const kept: [string, string][] = [];
  let tooLong = 0;
  let notString = 0;
  let tooMany = false;
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    if (kept.length >= bounds.maxKeys) {
      tooMany = true;
      break;
    }
    const entry = value[name];
    if (typeof entry !== "string" && nonString === "ignore") {
      notString++;
      continue;
    }
    if (typeof entry !== "string") {
      throw invalidDocument(
        document,
        `expected a string, got ${describeJson(entry)}`,
        `${here}[${quoteValue(name)}]`,
      );
    }
    if (name.length > bounds.maxKeyChars || entry.length > bounds.maxValueChars) tooLong++;
    else kept.push([name, entry]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays a key and never becomes a prototype.
  const values = Object.fromEntries(kept) as Record<string, string>;
  if (tooLong === 0 && notString === 0 && !tooMany) return { values };
  const why = [
    ...(tooLong > 0
      ? [
          `${tooLong} with a key over ${bounds.maxKeyChars} or a value over ${bounds.maxValueChars} characters`,
        ]
      : []),
    ...(notString > 0 ? [`${notString} whose value is not a string`] : []),
    ...(tooMany ? [`those after the first ${bounds.maxKeys}`] : []),
  ];
  return { values, ignored: `${here}: ignored ${why.join(", ")}` };
}

/**
 * Bounds of the pod annotations read for mapping selectors: 64 entries; a key as long as Kubernetes allows
 * (253-character prefix, `/`, 63-character name); a value of 4 KiB (larger ones are data, not selectors).
 */
export const ANNOTATION_BOUNDS: MapBounds = { maxKeys: 64, maxKeyChars: 317, maxValueChars: 4096 };
