import { createHash } from "node:crypto";

/** A sha256 content digest as registries write it. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Standard or URL-safe base64 with optional padding (DSSE accepts both); nothing else. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

/** `sha256:<hex>` of the bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Decodes base64 (standard or URL-safe alphabet, padding optional), or returns undefined for anything else:
 * Buffer.from skips characters it does not know, which would let two different strings name one signature.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (BASE64.test(text)) return Buffer.from(text, "base64");
  if (BASE64URL.test(text)) return Buffer.from(text, "base64url");
  return undefined;
}

/** Decodes UTF-8, or returns undefined when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Shortens a value for a message: long base64 or digests stay readable. */
export function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Bytes as one JSON object, or `fail` called with what is wrong ("not UTF-8 text", "not JSON (…)", "not a
 * JSON object"); `fail` throws, so the caller's message names the document.
 */
export function parseJsonObjectBytes(
  bytes: Uint8Array,
  fail: (what: string) => never,
): Record<string, unknown> {
  const text = decodeUtf8Strict(bytes) ?? fail("not UTF-8 text");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    fail(`not JSON (${(error as Error).message})`);
  }
  return isJsonObject(document) ? document : fail("not a JSON object");
}
