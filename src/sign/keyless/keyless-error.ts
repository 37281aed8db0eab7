import { CipError, type ErrorCode } from "../../model/index.js";

/**
 * The check of a Sigstore bundle verification that failed, for messages, JSON output and tests: the bundle's
 * shape, the trust material, the signer (certificate chain and its validity at signing time, certificate
 * transparency, identity, managed key), the signature, the artifact, the transparency log (entry body,
 * signed entry timestamp, inclusion proof) and the timestamps.
 */
export type KeylessCheck =
  | "bundle"
  | "trusted-root"
  | "certificate-chain"
  | "certificate-validity"
  | "certificate-transparency"
  | "identity"
  | "public-key"
  | "signature"
  | "artifact"
  | "tlog-body"
  | "tlog-set"
  | "tlog-inclusion-proof"
  | "tlog-missing"
  | "timestamp";

/**
 * A verification failure: a CipError (CIP_SIGNATURE_INVALID unless said otherwise) that also names the
 * failed check and, when the failure came from `@sigstore/verify`, that library's error code.
 */
export class KeylessError extends CipError {
  readonly check: KeylessCheck;
  readonly libraryCode: string | undefined;

  constructor(
    check: KeylessCheck,
    message: string,
    options: { hint?: string; cause?: unknown; libraryCode?: string; code?: ErrorCode } = {},
  ) {
    const { code = "CIP_SIGNATURE_INVALID", libraryCode, ...rest } = options;
    super(code, message, rest);
    this.check = check;
    this.libraryCode = libraryCode;
  }
}

/** True when the value is a KeylessError (a failed check, as opposed to unreadable input or a usage error). */
export function isKeylessError(value: unknown): value is KeylessError {
  return value instanceof KeylessError;
}
