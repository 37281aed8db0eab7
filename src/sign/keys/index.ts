export {
  COSIGN_ENCRYPTED_PEM_TYPE,
  COSIGN_SCRYPT_N,
  DEFAULT_SCRYPT_N,
  decryptCosignKeyBody,
  encryptCosignPrivateKey,
  SCRYPT_LIMITS,
  SIGSTORE_ENCRYPTED_PEM_TYPE,
} from "./cosign-encrypted-key.js";
export { generateSigningKeyPair, type SigningKeyPair } from "./generate-key-pair.js";
export { KEY_ERROR_CODE, keyError, MAX_KEY_FILE_BYTES } from "./key-error.js";
export { describeKey, isP256, requireP256 } from "./key-kind.js";
export { loadPrivateKey, loadPublicKey } from "./load-key.js";
export { type PemBlock, readPemBlock, writePemBlock } from "./pem.js";
export { privateKeyPem } from "./private-key-pem.js";
export { keyFingerprint, publicKeyOf, publicKeyPem } from "./public-key.js";
