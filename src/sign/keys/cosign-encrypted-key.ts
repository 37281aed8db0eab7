import { type KeyObject, randomBytes, scryptSync } from "node:crypto";
import nacl from "tweetnacl";
import { keyError } from "./key-error.js";
import { requireP256 } from "./key-kind.js";
import { writePemBlock } from "./pem.js";

/** PEM type current cosign (and sigstore's cryptoutils) writes for an encrypted private key. */
export const SIGSTORE_ENCRYPTED_PEM_TYPE = "ENCRYPTED SIGSTORE PRIVATE KEY";
/** PEM type older cosign releases wrote; the body is the same. */
export const COSIGN_ENCRYPTED_PEM_TYPE = "ENCRYPTED COSIGN PRIVATE KEY";

/**
 * The scrypt N values cosign reads (go-securesystemslib's legacy, standard and OWASP strengths, each with
 * r=8, p=1): it refuses any other, so only these are written.
 */
export const COSIGN_SCRYPT_N = [32768, 65536, 131072] as const;
/** N that current cosign writes (go-securesystemslib's "standard" strength, about 100 ms). */
export const DEFAULT_SCRYPT_N = 65536;

/**
 * Bounds on the scrypt parameters of a key file read: the file says how much memory and CPU decryption
 * takes, so a hostile file could ask for gigabytes. cosign's strongest preset (N=2^17, r=8, p=1: 128 MiB,
 * work 2^20) is inside them with room.
 */
export const SCRYPT_LIMITS = {
  /** Largest N (a power of two). */
  maxN: 2 ** 20,
  /** Largest 128·N·r, the memory scrypt holds. */
  maxMemoryBytes: 256 * 1024 * 1024,
  /** Largest N·r·p, proportional to the CPU time. */
  maxWork: 2 ** 21,
} as const;

const SALT_BYTES = 32;
const KEY_BYTES = nacl.secretbox.keyLength;
const NONCE_BYTES = nacl.secretbox.nonceLength;

/** The scrypt parameters of an encrypted key. */
interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Encrypts a P-256 private key as cosign does (scrypt → NaCl secretbox over the PKCS#8 DER) and returns the
 * PEM text `ENCRYPTED SIGSTORE PRIVATE KEY` that cosign, skopeo and podman read. The passphrase may be
 * empty (cosign's `COSIGN_PASSWORD=`). `scryptN` must be one cosign reads (32768, 65536 or 131072).
 */
export function encryptCosignPrivateKey(
  privateKey: KeyObject,
  passphrase: string,
  options: { scryptN?: number } = {},
): string {
  const action = "Cannot encrypt the private key";
  if (privateKey.type !== "private") {
    throw keyError(`${action}: it is a ${privateKey.type} key, not a private key`, "Give the private key.");
  }
  requireP256(privateKey, action);
  const N = options.scryptN ?? DEFAULT_SCRYPT_N;
  if (!(COSIGN_SCRYPT_N as readonly number[]).includes(N)) {
    throw keyError(
      `${action}: scrypt N=${N} is not one cosign can read (${COSIGN_SCRYPT_N.join(", ")})`,
      `Use N=${DEFAULT_SCRYPT_N}, what current cosign writes.`,
    );
  }
  const params: ScryptParams = { N, r: 8, p: 1 };
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  const box = nacl.secretbox(der, nonce, deriveKey(passphrase, salt, params));
  // Field order as Go's encoding/json writes go-securesystemslib's struct, so files diff cleanly
  const body = {
    kdf: { name: "scrypt", params, salt: salt.toString("base64") },
    cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") },
    ciphertext: Buffer.from(box).toString("base64"),
  };
  return writePemBlock(SIGSTORE_ENCRYPTED_PEM_TYPE, Buffer.from(JSON.stringify(body), "utf8"));
}

/**
 * Decrypts the body of a cosign encrypted key (the JSON inside the PEM block) and returns the plaintext,
 * the PKCS#8 DER of the key. Refuses a body that is not cosign's format, scrypt parameters outside
 * {@link SCRYPT_LIMITS} (before running scrypt), and a wrong passphrase.
 */
export function decryptCosignKeyBody(body: Buffer, passphrase: string, source: string): Buffer {
  const action = `Cannot decrypt private key ${source}`;
  const parsed = parseBody(body, action);
  const key = deriveKey(passphrase, parsed.salt, parsed.params);
  const plain = nacl.secretbox.open(parsed.ciphertext, parsed.nonce, key);
  if (plain === null) {
    throw keyError(
      `${action}: wrong passphrase (or the key file is damaged)`,
      "Give the passphrase the key was made with (--passphrase-file, CIPOLICE_PASSWORD or COSIGN_PASSWORD).",
    );
  }
  return Buffer.from(plain);
}

interface ParsedBody {
  params: ScryptParams;
  salt: Buffer;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

function parseBody(body: Buffer, action: string): ParsedBody {
  const damaged = (what: string) =>
    keyError(
      `${action}: ${what}; the encrypted key is damaged or not cosign's format`,
      "Copy the whole key file again, or generate a new key pair with `cipolice keys generate`.",
    );
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    throw damaged("its content is not JSON");
  }
  const kdf = field(doc, "kdf");
  const cipher = field(doc, "cipher");
  if (field(kdf, "name") !== "scrypt") throw damaged(`the key derivation is not scrypt`);
  if (field(cipher, "name") !== "nacl/secretbox") throw damaged("the cipher is not nacl/secretbox");
  const rawParams = field(kdf, "params");
  const params = { N: field(rawParams, "N"), r: field(rawParams, "r"), p: field(rawParams, "p") };
  if (!Object.values(params).every((v) => Number.isSafeInteger(v) && (v as number) > 0)) {
    throw damaged("the scrypt parameters N, r and p are not positive integers");
  }
  checkScryptParams(params as ScryptParams, action);
  const salt = base64Field(kdf, "salt");
  const nonce = base64Field(cipher, "nonce");
  const ciphertext = base64Field(doc, "ciphertext");
  if (salt === undefined || salt.length === 0) throw damaged("the scrypt salt is missing or not base64");
  if (nonce?.length !== NONCE_BYTES) throw damaged(`the nonce is not ${NONCE_BYTES} bytes of base64`);
  if (ciphertext === undefined || ciphertext.length <= nacl.secretbox.overheadLength) {
    throw damaged("the ciphertext is missing, too short or not base64");
  }
  return { params: params as ScryptParams, salt, nonce, ciphertext };
}

/** Refuses scrypt parameters that would take too much memory or time, before any is spent. */
function checkScryptParams({ N, r, p }: ScryptParams, action: string): void {
  const refuse = (why: string) =>
    keyError(
      `${action}: its scrypt parameters (N=${N}, r=${r}, p=${p}) ${why}`,
      "cosign writes N=32768, 65536 or 131072 with r=8, p=1; a key file asking for more is damaged or hostile.",
    );
  if (N < 2 || (N & (N - 1)) !== 0 || N > SCRYPT_LIMITS.maxN) {
    throw refuse(`are refused: N must be a power of two up to 2^20`);
  }
  if (128 * N * r > SCRYPT_LIMITS.maxMemoryBytes) {
    throw refuse(`would need ${Math.round((128 * N * r) / 2 ** 20)} MiB of memory, over the 256 MiB limit`);
  }
  if (N * r * p > SCRYPT_LIMITS.maxWork) throw refuse("would take too long to compute (N·r·p over 2^21)");
}

function deriveKey(passphrase: string, salt: Buffer, { N, r, p }: ScryptParams): Uint8Array {
  // Node refuses scrypt above maxmem (32 MiB by default): allow what these parameters need, checked above
  const maxmem = 128 * r * (N + p + 2) + 2 ** 20;
  return scryptSync(Buffer.from(passphrase, "utf8"), salt, KEY_BYTES, { N, r, p, maxmem });
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

// Go's encoding/json writes []byte as standard base64 with padding; anything else is not its output
function base64Field(value: unknown, name: string): Buffer | undefined {
  const text = field(value, name);
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    return undefined;
  }
  return Buffer.from(text, "base64");
}
