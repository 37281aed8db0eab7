import type { KeyObject } from "node:crypto";
import { keyError } from "./key-error.js";

/** What a key is, for messages: "an ECDSA P-384 key", "an RSA key (2048 bits)", "an Ed25519 key". */
export function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "ec") return `an ECDSA ${curveName(details.namedCurve)} key`;
  if (type === "rsa" || type === "rsa-pss")
    return `an ${type.toUpperCase()} key${details.modulusLength ? ` (${details.modulusLength} bits)` : ""}`;
  if (type === "ed25519") return "an Ed25519 key";
  if (type === "ed448") return "an Ed448 key";
  return `a ${type ?? "symmetric"} key`;
}

/** True for an ECDSA key on P-256, the one kind CIPolicE signs and verifies with (as cosign's default). */
export function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
}

/** Refuses any key but ECDSA P-256, naming what it is; `action` is "Cannot load private key x.key". */
export function requireP256(key: KeyObject, action: string): KeyObject {
  if (isP256(key)) return key;
  throw keyError(
    `${action}: it is ${describeKey(key)}, and only ECDSA P-256 keys are supported`,
    "Generate a supported key pair with `cipolice keys generate` (or `cosign generate-key-pair`).",
  );
}

function curveName(curve: string | undefined): string {
  const names: Record<string, string> = {
    prime256v1: "P-256",
    secp384r1: "P-384",
    secp521r1: "P-521",
    secp256k1: "secp256k1",
  };
  return curve === undefined ? "(unknown curve)" : (names[curve] ?? curve);
}
