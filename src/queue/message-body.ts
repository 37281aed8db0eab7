import { createHash } from "node:crypto";
import { findLimitViolation } from "../ingest/document-limits.js";
import { parseJson } from "../ingest/parse-document.js";

/** Largest message body a consumer reads (bytes): a larger one is dead-lettered unread. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** A body read as a JSON object, or why it cannot be (the reason a dead-lettered message carries). */
export type DecodedBody =
  | { ok: true; message: Record<string, unknown>; bytes: number }
  | { ok: false; reason: string; bytes: number };

/**
 * Reads an AMQP message body as the JSON object event rules take. `body` is what rabbitmq-client delivers:
 * a Buffer (no content type, or JSON it could not parse), a string (`text/plain`), or the parsed value
 * (`application/json`, measured by its re-serialized size). Refused with a reason: over `maxBytes`, not
 * UTF-8, not JSON (with line and column), nested too deep, or JSON that is not an object.
 */
export function decodeMessageBody(body: unknown, maxBytes = MAX_MESSAGE_BYTES): DecodedBody {
  let value: unknown;
  let bytes: number;
  if (Buffer.isBuffer(body) || typeof body === "string") {
    bytes = typeof body === "string" ? Buffer.byteLength(body) : body.length;
    if (bytes > maxBytes) return { ok: false, bytes, reason: tooLarge(bytes, maxBytes) };
    let text: string;
    try {
      text = typeof body === "string" ? body : new TextDecoder("utf-8", { fatal: true }).decode(body);
    } catch {
      return { ok: false, bytes, reason: "Cannot read the message: its body is not UTF-8 text" };
    }
    try {
      value = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, "the message body");
    } catch (error) {
      return { ok: false, bytes, reason: (error as Error).message };
    }
  } else {
    // Already parsed by the client (content type application/json); JSON.parse does not recurse, stringify does
    if (findLimitViolation(body) !== undefined) {
      return { ok: false, bytes: 0, reason: "Cannot read the message: its JSON nests too deep" };
    }
    value = body;
    bytes = Buffer.byteLength(JSON.stringify(body) ?? "");
    if (bytes > maxBytes) return { ok: false, bytes, reason: tooLarge(bytes, maxBytes) };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    return { ok: false, bytes, reason: `Cannot read the message: its JSON is ${kind}, not an object` };
  }
  return { ok: true, bytes, message: value as Record<string, unknown> };
}

function tooLarge(bytes: number, maxBytes: number): string {
  return `Cannot read the message: its body has ${bytes} bytes, over the limit of ${maxBytes}`;
}

/**
 * The id a message is known by in the event ledger: the AMQP `messageId` property when the sender set one
 * (trimmed, at most 256 characters), else `sha256:` and the hex digest of the body bytes (of the JSON text
 * re-serialized when the client already decoded an `application/json` body), so identical bodies sent without
 * an id count as one message.
 */
export function messageIdOf(property: unknown, body: unknown): string {
  if (typeof property === "string" && property.trim() !== "") return property.trim().slice(0, 256);
  const bytes =
    Buffer.isBuffer(body) || typeof body === "string" ? body : Buffer.from(JSON.stringify(body) ?? "");
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
