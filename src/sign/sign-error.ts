import { CipError, type ErrorCode } from "../model/index.js";

/** The code of every signature-format error (payloads, `.sig`/`.att` manifests, DSSE envelopes, statements, summaries). */
export const SIGN_ERROR_CODE: ErrorCode = "CIP_SIGNATURE_INVALID";

/** A signature-format error: message "Cannot <do X>: <what is wrong> (<where>)" and what to do. */
export function signError(message: string, hint?: string): CipError {
  return new CipError(SIGN_ERROR_CODE, message, hint === undefined ? {} : { hint });
}
