import { type ErrorCode, isCipError } from "../model/index.js";

/** The JSON error body every route answers with: `{ error: { code, message, hint } }`. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

/** HTTP status for each error code that is the client's or a dependency's fault; the rest are 500. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  CIP_REQUEST_INVALID: 400,
  CIP_PARSE: 400,
  // Facts documents come from the client (POST /v1/evaluate, pushes with format=facts)
  CIP_FACTS_INVALID: 400,
  CIP_USAGE: 400,
  CIP_IMAGE_REF_INVALID: 400,
  CIP_NESTING_LIMIT: 400,
  CIP_NUMBER_LIMIT: 400,
  CIP_UNAUTHORIZED: 401,
  CIP_INPUT_TOO_LARGE: 413,
  CIP_STORE: 503,
  CIP_BUSY: 503,
  CIP_QUEUE: 503,
  CIP_DEADLINE: 504,
  CIP_REGISTRY: 502,
};

/** The HTTP status of an error code: client mistakes 4xx, unreachable dependencies 502/503/504, else 500. */
export function httpStatusFor(code: string): number {
  const status = STATUS_BY_CODE[code as ErrorCode];
  if (status !== undefined) return status;
  // Every report problem (unsupported, invalid, image mismatch, …) is the pusher's to fix.
  return code.startsWith("CIP_REPORT_") ? 400 : 500;
}

/**
 * Maps any thrown value to a status and a JSON error body. A CipError keeps its code, message and hint;
 * anything else becomes a 500 CIP_INTERNAL whose message says nothing of the internals (they go to the log).
 */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (isCipError(error)) {
    const status = httpStatusFor(error.code);
    if (status !== 500) {
      const body: ErrorBody = { error: { code: error.code, message: error.message } };
      if (error.hint !== undefined) body.error.hint = error.hint;
      return { status, body };
    }
  }
  return {
    status: 500,
    body: {
      error: {
        code: "CIP_INTERNAL",
        message: "Cannot answer the request: an internal error occurred",
        hint: "The server log has the details; report it if it persists.",
      },
    },
  };
}
