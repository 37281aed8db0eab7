import { CipError, type ErrorCode } from "../../model/index.js";
import type { EngineEndpoint } from "./engine-endpoint.js";

/** The code of engine failures (unreachable, refused, error answers); timeouts are CIP_DEADLINE. */
export const ENGINE_ERROR_CODE: ErrorCode = "CIP_ENGINE";

/** An engine failure: "Cannot <what>: <reason> (<endpoint>)" with a hint on what to check. */
export function engineError(
  what: string,
  reason: string,
  endpoint: EngineEndpoint,
  hint: string,
  cause?: unknown,
  code: ErrorCode = ENGINE_ERROR_CODE,
): CipError {
  return new CipError(code, `Cannot ${what}: ${reason} (${endpoint.display})`, { hint, cause });
}

const CHECK_HOST =
  "Is the container engine (dockerd, or `podman system service`) running, and do --host or DOCKER_HOST name its socket?";

/** Turns a socket-level failure (ENOENT, ECONNREFUSED, EACCES, TLS, …) into a CipError that says what to check. */
export function connectionError(error: unknown, what: string, endpoint: EngineEndpoint): CipError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const socket = endpoint.kind === "unix" ? "the socket" : "the address";
  switch (code) {
    case "ENOENT":
      return engineError(what, `${socket} does not exist`, endpoint, CHECK_HOST, error);
    case "ECONNREFUSED":
      return engineError(what, `nothing accepts connections on ${socket}`, endpoint, CHECK_HOST, error);
    case "EACCES":
    case "EPERM":
      return engineError(
        what,
        `permission denied on ${socket}`,
        endpoint,
        "Run as a user allowed to use the engine socket (the `docker` group, or root), or point DOCKER_HOST at one you may use.",
        error,
      );
    case "ENOTSOCK":
      return engineError(what, `${socket} is not a socket`, endpoint, CHECK_HOST, error);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return engineError(what, "the host name does not resolve", endpoint, CHECK_HOST, error);
    case "ECONNRESET":
    case "EPIPE":
      return engineError(
        what,
        "the engine closed the connection",
        endpoint,
        "The engine may be restarting, or expects TLS (DOCKER_TLS_VERIFY) where none was used; try again.",
        error,
      );
    default:
      if (typeof code === "string" && /CERT|TLS|SSL|SELF_SIGNED|HOSTNAME/i.test(code)) {
        return engineError(
          what,
          `the TLS connection failed (${code})`,
          endpoint,
          "Check ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH, and that the engine's certificate names this host.",
          error,
        );
      }
      return engineError(what, (error as Error)?.message ?? String(error), endpoint, CHECK_HOST, error);
  }
}

/** The engine did not answer within `timeoutMs`. */
export function timeoutError(what: string, timeoutMs: number, endpoint: EngineEndpoint): CipError {
  return engineError(
    what,
    `no answer within ${timeoutMs} ms`,
    endpoint,
    "The engine is overloaded or hung; check it (`docker info` / `podman info`) and try again.",
    undefined,
    "CIP_DEADLINE",
  );
}
