import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import {
  COSIGN_ENCRYPTED_PEM_TYPE,
  decryptCosignKeyBody,
  SIGSTORE_ENCRYPTED_PEM_TYPE,
} from "./cosign-encrypted-key.js";
import { keyError } from "./key-error.js";
import { requireP256 } from "./key-kind.js";
import { readPemBlock } from "./pem.js";

const PASSPHRASE_HINT =
  "Give the key's passphrase with --passphrase-file FILE, CIPOLICE_PASSWORD or COSIGN_PASSWORD (set it empty for a key made with an empty passphrase).";

/**
 * Loads an ECDSA P-256 private key from PEM text: cosign's encrypted formats (`ENCRYPTED SIGSTORE PRIVATE
 * KEY`, and the older `ENCRYPTED COSIGN PRIVATE KEY`, which need `passphrase`; an empty string is a
 * passphrase), PKCS#8 `PRIVATE KEY` and SEC 1 `EC PRIVATE KEY`. `source` names the file in errors. Any other
 * key kind, a wrong passphrase, and a damaged or truncated file are refused with a CipError.
 */
export function loadPrivateKey(pemText: string, passphrase: string | undefined, source: string): KeyObject {
  const action = `Cannot load private key ${source}`;
  const block = readPemBlock(pemText, `private key ${source}`);
  switch (block.type) {
    case SIGSTORE_ENCRYPTED_PEM_TYPE:
    case COSIGN_ENCRYPTED_PEM_TYPE: {
      if (passphrase === undefined) {
        throw keyError(`${action}: the key is encrypted and no passphrase was given`, PASSPHRASE_HINT);
      }
      const der = decryptCosignKeyBody(block.der, passphrase, source);
      return requireP256(parseDer(der, "pkcs8", action, "its decrypted content"), action);
    }
    case "PRIVATE KEY":
      return requireP256(parseDer(block.der, "pkcs8", action, "its PKCS#8 content"), action);
    case "EC PRIVATE KEY":
      return requireP256(parseDer(block.der, "sec1", action, "its SEC 1 content"), action);
    case "RSA PRIVATE KEY":
      throw keyError(
        `${action}: it is an RSA key, and only ECDSA P-256 keys are supported`,
        "Generate a supported key pair with `cipolice keys generate` (or `cosign generate-key-pair`).",
      );
    case "ENCRYPTED PRIVATE KEY":
      // PKCS#8 encryption names its own iteration count: a hostile file could make it run for hours
      throw keyError(
        `${action}: PKCS#8-encrypted keys (ENCRYPTED PRIVATE KEY) are not supported`,
        "Import the key with `cosign import-key-pair`, or decrypt it with `openssl pkcs8` first.",
      );
    case "PUBLIC KEY":
      throw keyError(
        `${action}: it holds a public key, not a private key`,
        "Give the private key file (cosign.key); the public one (cosign.pub) is for verifying.",
      );
    default:
      throw keyError(
        `${action}: a PEM block of type ${JSON.stringify(block.type)} is not a private key this tool reads`,
        "Give a cosign key (ENCRYPTED SIGSTORE PRIVATE KEY) or a PKCS#8 or SEC 1 PEM key.",
      );
  }
}

/**
 * Loads an ECDSA P-256 public key from PEM text of type `PUBLIC KEY` (SubjectPublicKeyInfo, as cosign.pub).
 * `source` names the file in errors; other key kinds and damaged files are refused with a CipError.
 */
export function loadPublicKey(pemText: string, source: string): KeyObject {
  const action = `Cannot load public key ${source}`;
  const block = readPemBlock(pemText, `public key ${source}`);
  if (block.type !== "PUBLIC KEY") {
    const isPrivate = block.type.includes("PRIVATE KEY");
    throw keyError(
      `${action}: it holds a PEM block of type ${JSON.stringify(block.type)}, not PUBLIC KEY`,
      isPrivate
        ? "Give the public key file (cosign.pub), never the private key, to verify."
        : "Give a PEM public key (-----BEGIN PUBLIC KEY-----) such as cosign.pub.",
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.der, format: "der", type: "spki" });
  } catch (error) {
    throw keyError(
      `${action}: its content is not a valid public key: the file is damaged`,
      "Copy the whole key file again, from BEGIN to END.",
      error,
    );
  }
  return requireP256(key, action);
}

function parseDer(der: Buffer, type: "pkcs8" | "sec1", action: string, what: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: "der", type });
  } catch (error) {
    throw keyError(
      `${action}: ${what} is not a valid private key: the file is damaged`,
      "Copy the whole key file again, or generate a new key pair with `cipolice keys generate`.",
      error,
    );
  }
}
