import type { KeyObject } from "node:crypto";
import { keyError } from "./key-error.js";
import { requireP256 } from "./key-kind.js";

/**
 * Unencrypted PKCS#8 PEM text (`PRIVATE KEY`) of a P-256 private key. CIPolicE and openssl read it; cosign and
 * skopeo sign only with the encrypted form (`cosign import-key-pair` converts).
 */
export function privateKeyPem(privateKey: KeyObject): string {
  const action = "Cannot write the private key";
  if (privateKey.type !== "private") {
    throw keyError(`${action}: it is a ${privateKey.type} key, not a private key`, "Give the private key.");
  }
  requireP256(privateKey, action);
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}
