import { CipError } from "../../model/index.js";

/** A CipError with code CIP_REGISTRY. */
export function registryError(message: string, hint: string, cause?: unknown): CipError {
  return new CipError("CIP_REGISTRY", message, cause === undefined ? { hint } : { hint, cause });
}

/**
 * Summarises a registry's JSON error body (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`, the
 * distribution spec's error format) as `MANIFEST_UNKNOWN: manifest unknown`; other bodies as short text.
 */
export function summariseErrorBody(body: string): string {
  const trimmed = body.trim();
  if (trimmed === "") return "";
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    const errors = (parsed as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors
        .map((e: unknown) => {
          const item = e as { code?: unknown; message?: unknown };
          const code = typeof item.code === "string" ? item.code : "UNKNOWN";
          return typeof item.message === "string" && item.message !== "" ? `${code}: ${item.message}` : code;
        })
        .join("; ");
    }
    // Token servers answer {"error":"…","error_description":"…"} (RFC 6749 §5.2)
    const oauth = parsed as { error?: unknown; error_description?: unknown; details?: unknown };
    if (typeof oauth.error === "string") {
      return typeof oauth.error_description === "string"
        ? `${oauth.error}: ${oauth.error_description}`
        : oauth.error;
    }
    if (typeof oauth.details === "string") return oauth.details;
  } catch {
    // not JSON: fall through to plain text
  }
  const oneLine = trimmed.replace(/\s+/g, " ");
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The error code a failed request carries (`ENOTFOUND`, `ECONNREFUSED`, …), looking through causes. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.name === "TimeoutError") return "TIMEOUT";
    const code = (current as { code?: unknown }).code;
    // Our own CipErrors wrap the network error: look at their cause
    if (typeof code === "string" && !code.startsWith("CIP_")) return code;
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    else current = current.cause;
  }
  return undefined;
}

/** True when the server spoke TLS but its certificate was not trusted (so it is an HTTPS server). */
export function isTlsCertificateError(error: unknown): boolean {
  const code = networkErrorCode(error);
  return code !== undefined && TLS_CODES.has(code);
}

/** True for failures worth retrying: the connection was reset or closed under the request. */
export function isTransientNetworkError(error: unknown): boolean {
  const code = networkErrorCode(error);
  return code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT" || code === "EAI_AGAIN";
}

/** Turns a failed request (no HTTP answer at all) into a CipError naming what went wrong, where. */
export function networkFailure(action: string, url: string, error: unknown, timeoutMs: number): CipError {
  const host = safeHost(url);
  const code = networkErrorCode(error);
  const where = `(${url})`;
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return registryError(
        `Cannot ${action}: the host name ${host} does not resolve ${where}`,
        "Check the registry name in the image reference and this machine's DNS settings.",
        error,
      );
    case "ECONNREFUSED":
      return registryError(
        `Cannot ${action}: the connection to ${host} was refused ${where}`,
        "Check that the registry is running and listening on that port.",
        error,
      );
    case "TIMEOUT":
    case "ETIMEDOUT":
      return registryError(
        `Cannot ${action}: no answer from ${host} within ${timeoutMs} ms ${where}`,
        "Check the network path to the registry, or raise the request timeout.",
        error,
      );
    default:
      if (
        code !== undefined &&
        (TLS_CODES.has(code) || code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS"))
      ) {
        return registryError(
          `Cannot ${action}: the TLS connection to ${host} failed (${code}) ${where}`,
          "Trust the registry's CA with --ca-file FILE (PEM), or list a plain-HTTP registry as insecure.",
          error,
        );
      }
      return registryError(
        `Cannot ${action}: the request to ${host} failed${code === undefined ? "" : ` (${code})`} ${where}`,
        "Check that the registry is reachable from this machine, then retry.",
        error,
      );
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
