import { CipError } from "../model/index.js";

/** The message a driver error carries; Node's AggregateError (a refused IPv4 and IPv6 connect) has none. */
export function driverMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const first = error.errors[0] as { message?: string; code?: string };
    return first.message || first.code || "connection failed";
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === "string" ? code : error.name);
  }
  return String(error);
}

/** The driver's error code (SQLSTATE, `SQLITE_BUSY`, `ECONNREFUSED`, …), when there is one. */
export function driverCode(error: unknown): string | undefined {
  const source = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const code = (source as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Wraps a driver error as CIP_STORE "Cannot <op>: <driver message> (<location>)" with the hint the adapter
 * picked; a CipError passes through unchanged so that an inner operation's message is kept.
 */
export function storeError(op: string, error: unknown, location: string, hint: string): CipError {
  if (error instanceof CipError) return error;
  return new CipError("CIP_STORE", `Cannot ${op}: ${driverMessage(error)} (${location})`, {
    hint,
    cause: error,
  });
}

/** The error of a call made after `close()`. */
export function closedStoreError(op: string, location: string): CipError {
  return new CipError("CIP_STORE", `Cannot ${op}: the store is closed (${location})`, {
    hint: "Open the store again; a closed store takes no more calls.",
  });
}
