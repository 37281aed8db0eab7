import { driverCode, driverMessage } from "./store-error.js";
import type { ResolvedStoreOptions } from "./store-options.js";

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
]);

/** True when the error means the connection is gone or never came up (not a refused statement). */
export function isConnectionError(error: unknown): boolean {
  const code = driverCode(error);
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || /^(08|57P)/.test(code))) return true;
  return /Connection terminated|timeout expired|Query read timeout|not queryable|Client has encountered a connection error/i.test(
    driverMessage(error),
  );
}

/** True when a statement the server received was refused or failed (it has a SQLSTATE): the session is fine. */
export function isStatementError(error: unknown): boolean {
  const code = driverCode(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57)/.test(code);
}

/** What to do about a PostgreSQL or connection error, from its code and message. */
export function postgresHint(error: unknown, options: ResolvedStoreOptions): string {
  const code = driverCode(error) ?? "";
  const message = driverMessage(error);
  if (code === "57014" || /Query read timeout/i.test(message))
    return `The database did not answer within the ${options.statementTimeoutMs} ms statement timeout: it may be overloaded or a lock is held.`;
  if (/timeout exceeded when trying to connect/i.test(message))
    return `No connection within ${options.connectTimeoutMs} ms: the database is slow to accept connections, or all ${options.poolSize} pooled connections are busy.`;
  if (isConnectionError(error))
    return "Check that PostgreSQL is running and reachable; the store reconnects by itself on the next call.";
  if (code === "28P01" || code === "28000") return "Check the user and password the store URL gives.";
  if (code === "3D000") return "Create the database, or fix its name in the store URL.";
  if (code === "53300")
    return "The server has no connection slot left: lower the pool size or raise max_connections.";
  if (code === "42P01")
    return "The store's tables are missing (dropped or another schema on the search_path): reopen the store so it applies its migrations.";
  if (code === "42501")
    return "Grant the store's user the rights on its tables, or give it a database of its own.";
  return "See the PostgreSQL server log for this error.";
}
