import { generateKeyPairSync, type KeyObject } from "node:crypto";

/** A freshly generated signing key pair. */
export interface SigningKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Generates an ECDSA P-256 key pair, the kind cosign's generate-key-pair makes. */
export function generateSigningKeyPair(): SigningKeyPair {
  return generateKeyPairSync("ec", { namedCurve: "P-256" });
}
