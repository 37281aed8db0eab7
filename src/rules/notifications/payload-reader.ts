import { CipError } from "../../model/index.js";

/** A JSON object read from a payload, with its path from the root (`$.event_data.resources[0]`). */
export interface Node {
  value: Record<string, unknown>;
  path: string;
}

/** The error for a payload that does not have the shape its sender documents, naming the JSON path. */
export function invalid(what: string, problem: string, path: string): CipError {
  return new CipError("CIP_REQUEST_INVALID", `Cannot read the ${what}: ${problem} (${path})`, {
    hint: "Send the notification body unchanged, as the sender produced it, to the route for that sender.",
  });
}

/** The payload's root as an object, or CIP_REQUEST_INVALID. */
export function rootObject(payload: unknown, what: string): Node {
  if (!isObject(payload)) throw invalid(what, `the body is ${describe(payload)}, not a JSON object`, "$");
  return { value: payload, path: "$" };
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a JSON value is, for messages ("a number", "null", "an array"). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Reads typed fields of one object, naming the path of any that has the wrong type. */
export class Reader {
  constructor(
    readonly node: Node,
    private readonly what: string,
  ) {}

  /** The path of a field of this object. */
  at(key: string): string {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${this.node.path}.${key}` : `${this.node.path}["${key}"]`;
  }

  /** The raw value of a field. */
  raw(key: string): unknown {
    return Object.hasOwn(this.node.value, key) ? this.node.value[key] : undefined;
  }

  /** A string field; undefined when absent or null. */
  optString(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string")
      throw invalid(this.what, `${key} is ${describe(v)}, not a string`, this.at(key));
    return v;
  }

  /** A string field that must be present and not empty. */
  string(key: string): string {
    const v = this.optString(key);
    if (v === undefined || v === "") throw invalid(this.what, `${key} is missing or empty`, this.at(key));
    return v;
  }

  /** A finite number field; undefined when absent or null. */
  optNumber(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw invalid(this.what, `${key} is ${describe(v)}, not a number`, this.at(key));
    }
    return v;
  }

  /** A boolean field; undefined when absent or null. */
  optBoolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean")
      throw invalid(this.what, `${key} is ${describe(v)}, not true or false`, this.at(key));
    return v;
  }

  /** An object field as a Reader; undefined when absent or null. */
  optObject(key: string): Reader | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) throw invalid(this.what, `${key} is ${describe(v)}, not an object`, this.at(key));
    return new Reader({ value: v, path: this.at(key) }, this.what);
  }

  /** An object field that must be present. */
  object(key: string): Reader {
    const r = this.optObject(key);
    if (r === undefined) throw invalid(this.what, `${key} is missing`, this.at(key));
    return r;
  }

  /** An array field (empty when absent or null), at most `max` items. */
  optArray(key: string, max = MAX_ITEMS): unknown[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw invalid(this.what, `${key} is ${describe(v)}, not an array`, this.at(key));
    // Every item becomes a message and runs actions: an unbounded list would be a cheap amplification.
    if (v.length > max)
      throw invalid(this.what, `${key} has ${v.length} items, more than ${max}`, this.at(key));
    return v;
  }

  /** An array field that must be present (it may be empty). */
  array(key: string, max = MAX_ITEMS): unknown[] {
    if (this.raw(key) === undefined || this.raw(key) === null) {
      throw invalid(this.what, `${key} is missing`, this.at(key));
    }
    return this.optArray(key, max);
  }

  /** Each item of an array field as a Reader; an item that is not an object names its index. */
  objects(key: string, required = false, max = MAX_ITEMS): Reader[] {
    const items = required ? this.array(key, max) : this.optArray(key, max);
    return items.map((item, i) => {
      const path = `${this.at(key)}[${i}]`;
      if (!isObject(item))
        throw invalid(this.what, `item ${i} of ${key} is ${describe(item)}, not an object`, path);
      return new Reader({ value: item, path }, this.what);
    });
  }

  /** Each item of an array field as a string; an item that is not a string names its index. */
  strings(key: string, required = false, max = MAX_ITEMS): string[] {
    const items = required ? this.array(key, max) : this.optArray(key, max);
    return items.map((item, i) => {
      if (typeof item !== "string") {
        throw invalid(
          this.what,
          `item ${i} of ${key} is ${describe(item)}, not a string`,
          `${this.at(key)}[${i}]`,
        );
      }
      return item;
    });
  }
}

/** Items an array of a notification may hold (events, resources, tags) before the payload is refused. */
export const MAX_ITEMS = 1000;

/** A Unix time in seconds as an ISO 8601 string (undefined for none). */
export function isoFromSeconds(seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Drops the fields whose value is undefined, so messages hold only what the payload said. */
export function compact(message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message)) if (v !== undefined) out[k] = v;
  return out;
}

/** `repo:tag` when there is a tag, else `repo@digest`, else `repo`: the reference a rule compares. */
export function imageReference(name: string, tag: string | undefined, digest: string | undefined): string {
  if (tag !== undefined && tag !== "") return `${name}:${tag}`;
  if (digest !== undefined && digest !== "") return `${name}@${digest}`;
  return name;
}
