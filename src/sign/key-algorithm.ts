import { type KeyObject, sign, verify } from "node:crypto";
import { signError } from "./sign-error.js";

/** Digest cosign (sigstore's signature package) pairs with each ECDSA curve. */
const EC_HASH: Record<string, string> = { prime256v1: "sha256", secp384r1: "sha384", secp521r1: "sha512" };

/** Names of the curves for messages. */
const CURVE_NAME: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/**
 * The digest to sign or verify with for a key, as cosign chooses it: per curve for ECDSA, SHA-256 for RSA
 * (PKCS #1 v1.5), none for Ed25519 (it hashes itself). Undefined for a key cosign does not sign with.
 */
export function digestForKey(key: KeyObject): string | null | undefined {
  switch (key.asymmetricKeyType) {
    case "ec":
      return EC_HASH[key.asymmetricKeyDetails?.namedCurve ?? ""];
    case "rsa":
      return "sha256";
    case "ed25519":
      return null;
    default:
      return undefined;
  }
}

/** A key's kind for messages: `ECDSA P-256`, `RSA`, `Ed25519`, or what node:crypto calls it. */
export function describeKey(key: KeyObject): string {
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "unknown curve";
    return `ECDSA ${CURVE_NAME[curve] ?? curve}`;
  }
  if (key.asymmetricKeyType === "rsa") return "RSA";
  if (key.asymmetricKeyType === "ed25519") return "Ed25519";
  return key.asymmetricKeyType ?? key.type;
}

/**
 * Signs bytes with a private key the way cosign does (ECDSA signatures ASN.1 DER encoded). Throws for a
 * public key or a key type cosign does not sign with.
 */
export function signBytes(bytes: Uint8Array, privateKey: KeyObject, what: string): Buffer {
  if (privateKey.type !== "private") {
    throw signError(`Cannot sign ${what}: the key given is a ${privateKey.type} key, not a private key`);
  }
  const hash = digestForKey(privateKey);
  if (hash === undefined) {
    throw signError(
      `Cannot sign ${what}: keys of type ${describeKey(privateKey)} are not supported`,
      "use an ECDSA P-256 key (`cipolice keys generate` or `cosign generate-key-pair`)",
    );
  }
  return sign(hash, bytes, { key: privateKey, dsaEncoding: "der" });
}

/**
 * True when the signature verifies over the bytes with the key. ECDSA signatures are ASN.1 DER (cosign);
 * with `rawEcdsa`, raw r‖s (IEEE P1363, which some DSSE signers write) is tried too. A signature node:crypto
 * cannot parse is false.
 */
export function verifyBytes(
  bytes: Uint8Array,
  signature: Uint8Array,
  publicKey: KeyObject,
  rawEcdsa = false,
): boolean {
  const hash = digestForKey(publicKey);
  if (hash === undefined) return false;
  const encodings: ("der" | "ieee-p1363")[] =
    rawEcdsa && publicKey.asymmetricKeyType === "ec" ? ["der", "ieee-p1363"] : ["der"];
  for (const dsaEncoding of encodings) {
    try {
      if (verify(hash, bytes, { key: publicKey, dsaEncoding }, signature)) return true;
    } catch {
      // A signature of the wrong shape for this encoding: try the next one.
    }
  }
  return false;
}
