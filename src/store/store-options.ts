/** How `openStore` connects and how long a call may take before it fails with CIP_STORE. */
export interface OpenStoreOptions {
  /** Time to open a connection (PostgreSQL) before failing. Default 2,000 ms. */
  connectTimeoutMs?: number;
  /**
   * Time one statement may run: PostgreSQL's statement_timeout plus a client-side read timeout (so a
   * database that stopped answering fails the call too); SQLite's busy timeout. Default 2,000 ms.
   */
  statementTimeoutMs?: number;
  /** Time migrations may take at open, lock wait included. Default 60,000 ms. */
  migrationTimeoutMs?: number;
  /** Most PostgreSQL connections the pool holds (one more is used for LISTEN). Default 10. */
  poolSize?: number;
  /**
   * Told about trouble the store handles by itself and the caller would not otherwise see: a lost LISTEN
   * connection and each reconnect attempt, an idle pooled connection that failed. The server logs these.
   */
  onWarning?: (message: string, error?: unknown) => void;
}

/** The options with their defaults filled in. */
export type ResolvedStoreOptions = Required<Omit<OpenStoreOptions, "onWarning">> &
  Pick<OpenStoreOptions, "onWarning">;

/** Fills in the defaults: 2 s to connect, 2 s per statement, 60 s for migrations, 10 connections. */
export function resolveStoreOptions(options: OpenStoreOptions = {}): ResolvedStoreOptions {
  return {
    connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
    statementTimeoutMs: options.statementTimeoutMs ?? 2_000,
    migrationTimeoutMs: options.migrationTimeoutMs ?? 60_000,
    poolSize: options.poolSize ?? 10,
    onWarning: options.onWarning,
  };
}
