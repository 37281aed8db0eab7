import type { NotificationMessages } from "./notification-types.js";
import { describe, invalid, isObject } from "./payload-reader.js";

const WHAT = "CIPolicE message";

/** Largest CIPolicE message, as JSON text, that is passed to the rules (bytes of UTF-8). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Deepest nesting of objects and lists a CIPolicE message may have. */
export const MAX_MESSAGE_DEPTH = 32;

/**
 * CIPolicE's own messages (`{"image", "level"}`, `{"cve", "compromised"}`, `{"image", "size-mb", "labels"}`,
 * anything a scanner or CI sends) pass through unchanged, after checks: a JSON object, at most
 * {@link MAX_MESSAGE_BYTES} as JSON and {@link MAX_MESSAGE_DEPTH} deep, and, where the usual fields are
 * present, of their usual types (`image` a string, `level` and `size-mb` numbers, `compromised` a boolean).
 */
export function normalizeCipoliceMessage(payload: unknown): NotificationMessages {
  if (!isObject(payload)) throw invalid(WHAT, `the body is ${describe(payload)}, not a JSON object`, "$");
  const depth = depthOf(payload, 0);
  if (depth > MAX_MESSAGE_DEPTH) {
    throw invalid(WHAT, `it nests ${depth} levels deep, more than ${MAX_MESSAGE_DEPTH}`, "$");
  }
  const bytes = Buffer.byteLength(JSON.stringify(payload), "utf8");
  if (bytes > MAX_MESSAGE_BYTES) {
    throw invalid(WHAT, `it is ${bytes} bytes as JSON, more than ${MAX_MESSAGE_BYTES}`, "$");
  }
  for (const [key, type] of FIELD_TYPES) {
    const value = payload[key];
    if (value !== undefined && value !== null && typeof value !== type) {
      throw invalid(WHAT, `${key} is ${describe(value)}, not a ${type}`, `$["${key}"]`);
    }
  }
  const event = typeof payload.event === "string" && payload.event !== "" ? payload.event : "message";
  return { sender: "cipolice", event, messages: [structuredClone(payload)] };
}

const FIELD_TYPES: [string, "string" | "number" | "boolean"][] = [
  ["image", "string"],
  ["level", "number"],
  ["size-mb", "number"],
  ["cve", "string"],
  ["compromised", "boolean"],
];

// Stops counting past the limit so a hostile depth costs no more than the limit.
function depthOf(value: unknown, depth: number): number {
  if (depth > MAX_MESSAGE_DEPTH || typeof value !== "object" || value === null) return depth;
  let max = depth + 1;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    max = Math.max(max, depthOf(child, depth + 1));
    if (max > MAX_MESSAGE_DEPTH) break;
  }
  return max;
}
