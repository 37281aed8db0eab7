import { createHmac, timingSafeEqual } from "node:crypto";

/** The header carrying a web hook body's signature. */
export const SIGNATURE_HEADER = "X-CIPolicE-Signature";
/** The header carrying a delivery's id, the same on every try of one delivery. */
export const DELIVERY_HEADER = "X-CIPolicE-Delivery";

/** The signature header's value for a body: `sha256=<hex HMAC-SHA256 of the exact body bytes>`. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** True when a received signature header matches the body and secret (compared in constant time). */
export function verifySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
