import { createHash, createPublicKey, type KeyObject } from "node:crypto";

/** The public half of a key (itself when it is already public). */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === "public" ? key : createPublicKey(key);
}

/** PEM text `PUBLIC KEY` (SubjectPublicKeyInfo) of a key or of a private key's public half, as cosign.pub. */
export function publicKeyPem(key: KeyObject): string {
  return publicKeyOf(key).export({ format: "pem", type: "spki" }).toString();
}

/**
 * SHA-256 of the key's SubjectPublicKeyInfo DER, in hex: a stable id of a key for messages and key ids
 * (also of a private key, from its public half).
 */
export function keyFingerprint(key: KeyObject): string {
  const der = publicKeyOf(key).export({ format: "der", type: "spki" });
  return createHash("sha256").update(der).digest("hex");
}
