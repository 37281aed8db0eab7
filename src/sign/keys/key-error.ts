import { CipError, type ErrorCode } from "../../model/index.js";

/** The code of every key error. */
export const KEY_ERROR_CODE: ErrorCode = "CIP_KEY_INVALID";

/** Largest key file (PEM text) read: real keys are under 1 KiB, so more is a mistake or a trap. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/** A key error: message "Cannot <do X> <file>: <what is wrong>" and what to do. */
export function keyError(message: string, hint: string, cause?: unknown): CipError {
  return new CipError(KEY_ERROR_CODE, message, cause === undefined ? { hint } : { hint, cause });
}
