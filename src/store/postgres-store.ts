import pg from "pg";
import type {
  ContainerCheckRecord,
  DecisionQuery,
  DecisionRecord,
  EventRecord,
  GraceClock,
  ImageVerdict,
  NewReport,
  Store,
  StoredReport,
} from "../service/store-ports.js";
import { ListenerSet, type ReportsListener } from "./listener-set.js";
import { MIGRATIONS_TABLE, pendingMigrations } from "./migrations/index.js";
import { isConnectionError, isStatementError, postgresHint } from "./postgres-hint.js";
import { PostgresChangeListener, REPORTS_CHANNEL } from "./postgres-listener.js";
import { postgresLocation } from "./postgres-location.js";
import { closedStoreError, storeError } from "./store-error.js";
import { type OpenStoreOptions, type ResolvedStoreOptions, resolveStoreOptions } from "./store-options.js";
import {
  type ContainerCheckRow,
  claimEventSql,
  claimResultOf,
  containerCheckFromRow,
  type DecisionRow,
  decisionFilters,
  decisionFromRow,
  decisionLimit,
  type EventRow,
  eventFromRow,
  filterTime,
  GRACE_CLOCKS_ORDER,
  GRACE_CLOCKS_SELECT,
  type GraceClockRow,
  graceClockFromRow,
  graceClockRows,
  lastByName,
  latestContainerChecksSql,
  RELEASE_EVENT_SQL,
  reportFromRow,
  storedTime,
  type VerdictRow,
  verdictFromRow,
} from "./store-rows.js";

/** Key of the advisory lock that serializes migrations across replicas starting together ("cipm"). */
const MIGRATION_LOCK_KEY = 0x6369706d;
/** The client-side read timeout waits this much longer than statement_timeout, so the server's clearer error wins. */
const READ_TIMEOUT_SLACK_MS = 500;

/**
 * Opens a PostgreSQL store: a pool whose connects and statements time out (so a down database fails a call
 * with CIP_STORE instead of hanging, and the pool reconnects by itself once it is back), pending migrations
 * applied in one transaction under an advisory lock, and a LISTEN connection for report changes.
 */
export async function openPostgresStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const resolved = resolveStoreOptions(options);
  const location = postgresLocation(url);
  const warn = resolved.onWarning ?? (() => {});
  const config: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: resolved.connectTimeoutMs,
    statement_timeout: resolved.statementTimeoutMs,
    query_timeout: resolved.statementTimeoutMs + READ_TIMEOUT_SLACK_MS,
    // Keepalive notices a peer that vanished without closing the connection (a partition, a dead host)
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: "cipolice",
  };
  const pool = new pg.Pool({ ...config, max: resolved.poolSize });
  // An idle pooled connection that dies (a restarted server) is dropped by the pool; unhandled it would crash
  pool.on("error", (error) => warn(`An idle store connection failed (${location})`, error));
  let listener: PostgresChangeListener | undefined;
  try {
    await migrate(pool, location, resolved);
    const store = new PostgresStore(pool, location, resolved);
    listener = new PostgresChangeListener(config, location, (digest) => store.emit(digest), warn);
    await listener.start();
    store.listener = listener;
    return store;
  } catch (error) {
    await listener?.close();
    await pool.end().catch(() => {});
    throw storeError("open the store", error, location, postgresHint(error, resolved));
  }
}

async function migrate(pool: pg.Pool, location: string, options: ResolvedStoreOptions): Promise<void> {
  const client = await pool.connect();
  client.on("error", ignoreCheckedOutError);
  // Migrations may rewrite big tables: they get their own, longer timeout
  const run = (text: string, values?: unknown[]) =>
    client.query({ text, values, query_timeout: options.migrationTimeoutMs } as pg.QueryConfig);
  try {
    await run("BEGIN");
    await run(`SET LOCAL statement_timeout = ${Math.floor(options.migrationTimeoutMs)}`);
    // Transaction-scoped: released at COMMIT or ROLLBACK, even if this process dies
    await run("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await run(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = (await run(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((row) =>
      Number(row.version),
    );
    for (const migration of pendingMigrations(applied, location)) {
      await run(migration.postgres);
      await run(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    await run("COMMIT");
    client.off("error", ignoreCheckedOutError);
    client.release();
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    client.off("error", ignoreCheckedOutError);
    client.release(true);
    throw error;
  }
}

/** The PostgreSQL adapter: a pool for calls, one more connection for LISTEN. */
class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  listener: PostgresChangeListener | undefined;
  readonly #listeners: ListenerSet;
  #closed = false;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly options: ResolvedStoreOptions,
  ) {
    this.#listeners = new ListenerSet((error) =>
      options.onWarning?.(`A reports-changed listener threw (${location})`, error),
    );
  }

  /** Tells this instance's listeners (called by the LISTEN connection and after a local put). */
  emit(digest: string | undefined): void {
    this.#listeners.emit(digest);
  }

  async putReports(digest: string, reports: NewReport[], now: Date): Promise<{ revision: number }> {
    const receivedAt = storedTime(now, "the reports' receive time", this.location);
    const revision = await this.#run(`store the reports of ${digest}`, false, (client) =>
      transaction(client, async () => {
        for (const report of lastByName(reports)) {
          await client.query(
            `INSERT INTO reports (digest, name, format, text, pushed_by, received_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (digest, name) DO UPDATE SET format = excluded.format, text = excluded.text,
               pushed_by = excluded.pushed_by, received_at = excluded.received_at`,
            [
              digest,
              report.name,
              report.format,
              Buffer.from(report.text, "utf8"),
              report.pushedBy ?? null,
              receivedAt,
            ],
          );
        }
        const result = await client.query(
          `INSERT INTO report_revisions (digest, revision) VALUES ($1, 1)
           ON CONFLICT (digest) DO UPDATE SET revision = report_revisions.revision + 1 RETURNING revision`,
          [digest],
        );
        // Sent at COMMIT, so other replicas hear of the change only once it is visible
        await client.query("SELECT pg_notify($1, $2)", [REPORTS_CHANNEL, digest]);
        return Number(result.rows[0]?.revision);
      }),
    );
    // This replica's caches hear of it now, without waiting for the notification's round trip
    this.emit(digest);
    return { revision };
  }

  async listReports(digest: string): Promise<StoredReport[]> {
    return this.#run(`read the reports of ${digest}`, true, async (client) => {
      const result = await client.query(
        "SELECT digest, name, format, text, pushed_by, received_at FROM reports WHERE digest = $1 ORDER BY name",
        [digest],
      );
      return result.rows.map((row) =>
        reportFromRow({
          ...row,
          text: (row.text as Buffer).toString("utf8"),
          received_at: (row.received_at as Date).toISOString(),
        }),
      );
    });
  }

  async reportRevision(digest: string): Promise<number> {
    return this.#run(`read the report revision of ${digest}`, true, async (client) => {
      const result = await client.query("SELECT revision FROM report_revisions WHERE digest = $1", [digest]);
      return result.rows.length === 0 ? 0 : Number(result.rows[0].revision);
    });
  }

  async recordDecision(record: DecisionRecord): Promise<void> {
    const decidedAt = storedTime(record.decidedAt, `decision ${record.decisionId}`, this.location);
    // Idempotent on decision_id, so a retry after a lost connection is safe
    await this.#run(`record decision ${record.decisionId}`, true, (client) =>
      client.query(
        `INSERT INTO decisions (decision_id, image, digest, outcome, origin, namespace, decided_at, decision, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9) ON CONFLICT (decision_id) DO NOTHING`,
        [
          record.decisionId,
          record.image,
          record.digest ?? null,
          record.outcome,
          record.origin,
          record.namespace ?? null,
          decidedAt,
          record.decision === undefined ? null : JSON.stringify(record.decision),
          record.reason ?? null,
        ],
      ),
    );
  }

  async listDecisions(query: DecisionQuery): Promise<DecisionRecord[]> {
    const filters = decisionFilters(query);
    const limit = decisionLimit(query.limit);
    if (filters.none || limit === 0) {
      if (this.#closed) throw closedStoreError("read decisions", this.location);
      return [];
    }
    const where: string[] = [];
    const values: unknown[] = [];
    if (filters.image !== null) where.push(`image = $${values.push(filters.image)}`);
    if (filters.digest !== null) where.push(`digest = $${values.push(filters.digest)}`);
    const sql = `SELECT decision_id, image, digest, outcome, origin, namespace, decided_at, decision, reason
      FROM decisions ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY decided_at DESC, seq DESC LIMIT $${values.push(limit)}`;
    return this.#run("read decisions", true, async (client) => {
      const result = await client.query(sql, values);
      return result.rows.map((row) =>
        decisionFromRow({ ...row, decided_at: (row.decided_at as Date).toISOString() } as DecisionRow),
      );
    });
  }

  async claimEvent(
    messageId: string,
    source: string,
    now: Date,
    leaseMs: number,
  ): Promise<"new" | "done" | "busy"> {
    const at = storedTime(now, `the claim time of event ${messageId}`, this.location);
    const staleBefore = new Date(now.getTime() - leaseMs).toISOString();
    // Not idempotent: a lost answer to a claim that took the row would read back as "busy" (safe, not wrong)
    return this.#run(`claim event ${messageId}`, false, async (client) => {
      const claimed = await client.query(
        claimEventSql((n) => `$${n}`),
        [messageId, source, at, staleBefore],
      );
      if (claimed.rows.length > 0) return "new" as const;
      const state = await client.query("SELECT state FROM events WHERE message_id = $1", [messageId]);
      return claimResultOf(state.rows[0]?.state as string | undefined);
    });
  }

  async releaseEvent(messageId: string): Promise<void> {
    await this.#run(`release event ${messageId}`, true, (client) =>
      client.query(RELEASE_EVENT_SQL, [messageId]),
    );
  }

  async finishEvent(
    messageId: string,
    result: Pick<EventRecord, "state" | "message" | "outcomes" | "reason">,
    now: Date,
  ): Promise<void> {
    const at = storedTime(now, `the end time of event ${messageId}`, this.location);
    await this.#run(`record the end of event ${messageId}`, true, (client) =>
      client.query(
        `UPDATE events SET state = $2, finished_at = $3, message = $4::json, outcomes = $5::json, reason = $6
         WHERE message_id = $1`,
        [
          messageId,
          result.state,
          at,
          result.message === undefined ? null : JSON.stringify(result.message),
          JSON.stringify(result.outcomes),
          result.reason ?? null,
        ],
      ),
    );
  }

  async listEvents(query: { messageId?: string; limit: number }): Promise<EventRecord[]> {
    const limit = decisionLimit(query.limit);
    const byId = query.messageId !== undefined;
    const sql = `SELECT message_id, source, state, received_at, finished_at, message, outcomes, reason FROM events
      ${byId ? "WHERE message_id = $1 ORDER BY seq DESC LIMIT $2" : "ORDER BY received_at DESC, seq DESC LIMIT $1"}`;
    return this.#run("read events", true, async (client) => {
      if (limit === 0) return [];
      const result = await client.query(sql, byId ? [query.messageId, limit] : [limit]);
      return result.rows.map((row) =>
        eventFromRow({
          ...row,
          received_at: (row.received_at as Date).toISOString(),
          finished_at: row.finished_at === null ? null : (row.finished_at as Date).toISOString(),
        } as EventRow),
      );
    });
  }

  async putVerdict(verdict: ImageVerdict): Promise<void> {
    const at = storedTime(verdict.setAt, `the verdict on ${verdict.subject}`, this.location);
    await this.#run(`record the verdict on ${verdict.subject}`, true, (client) =>
      client.query(
        `INSERT INTO verdicts (subject, verdict, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (subject) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason,
           set_by = excluded.set_by, set_at = excluded.set_at`,
        [verdict.subject, verdict.verdict, verdict.reason, verdict.setBy, at],
      ),
    );
  }

  async listVerdicts(): Promise<ImageVerdict[]> {
    return this.#run("read the verdicts", true, async (client) => {
      const result = await client.query(
        "SELECT subject, verdict, reason, set_by, set_at FROM verdicts ORDER BY subject",
      );
      return result.rows.map((row) =>
        verdictFromRow({ ...row, set_at: (row.set_at as Date).toISOString() } as VerdictRow),
      );
    });
  }

  async getVerdict(subject: string): Promise<ImageVerdict | undefined> {
    return this.#run(`read the verdict on ${subject}`, true, async (client) => {
      const result = await client.query(
        "SELECT subject, verdict, reason, set_by, set_at FROM verdicts WHERE subject = $1",
        [subject],
      );
      const row = result.rows[0];
      return row === undefined
        ? undefined
        : verdictFromRow({ ...row, set_at: (row.set_at as Date).toISOString() } as VerdictRow);
    });
  }

  async recordContainerCheck(record: ContainerCheckRecord): Promise<void> {
    const checkedAt = storedTime(
      record.checkedAt,
      `the check time of container ${record.containerId}`,
      this.location,
    );
    // Not idempotent: a lost answer to an insert that committed would record the check twice
    await this.#run(`record the check of container ${record.containerId}`, false, (client) =>
      client.query(
        `INSERT INTO container_checks (host, container_id, container_name, image, image_id, digest, outcome, checks,
           action, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10)`,
        [
          record.host,
          record.containerId,
          record.containerName,
          record.image,
          record.imageId,
          record.digest ?? null,
          record.outcome,
          JSON.stringify(record.checks),
          record.action ?? null,
          checkedAt,
        ],
      ),
    );
  }

  async latestContainerChecks(query: {
    since?: string;
    host?: string;
    limit: number;
  }): Promise<ContainerCheckRecord[]> {
    const limit = decisionLimit(query.limit);
    const values: unknown[] = [];
    const where: { since?: string; host?: string } = {};
    if (query.since !== undefined)
      where.since = `$${values.push(filterTime(query.since, "container checks since", this.location))}`;
    if (query.host !== undefined) where.host = `$${values.push(query.host)}`;
    const sql = latestContainerChecksSql(where, `$${values.push(limit)}`);
    return this.#run("read container checks", true, async (client) => {
      if (limit === 0) return [];
      const result = await client.query(sql, values);
      return result.rows.map((row) =>
        containerCheckFromRow({
          ...row,
          checked_at: (row.checked_at as Date).toISOString(),
        } as ContainerCheckRow),
      );
    });
  }

  async startGraceClocks(
    subject: string,
    clocks: readonly Omit<GraceClock, "subject">[],
  ): Promise<GraceClock[]> {
    const rows = graceClockRows(subject, clocks, this.location);
    // Idempotent: inserting what exists does nothing. A replica starting the same clock at once waits for the
    // other's row and leaves it; the rows go in sorted by finding, so two overlapping starts cannot deadlock
    return this.#run(`start the grace clocks of ${subject}`, true, async (client) => {
      if (rows.length > 0) {
        await client.query(
          `INSERT INTO grace_clocks (subject, finding, severity, started_at, ends_at)
           SELECT $1, x.finding, x.severity, x.started_at, x.ends_at
             FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
               AS x(finding, severity, started_at, ends_at)
           ON CONFLICT (subject, finding) DO NOTHING`,
          [
            subject,
            rows.map((r) => r.finding),
            rows.map((r) => r.severity),
            rows.map((r) => r.started_at),
            rows.map((r) => r.ends_at),
          ],
        );
      }
      // A new statement sees every committed clock, the other replica's included
      const result = await client.query(`${GRACE_CLOCKS_SELECT} WHERE subject = $1 ${GRACE_CLOCKS_ORDER}`, [
        subject,
      ]);
      return result.rows.map(graceClockFromPgRow);
    });
  }

  async stopGraceClocks(subject: string, still: readonly string[]): Promise<void> {
    await this.#run(`stop the grace clocks of ${subject}`, true, (client) =>
      client.query("DELETE FROM grace_clocks WHERE subject = $1 AND finding <> ALL($2::text[])", [
        subject,
        [...still],
      ]),
    );
  }

  async listGraceClocks(subject?: string): Promise<GraceClock[]> {
    return this.#run("read the grace clocks", true, async (client) => {
      const result =
        subject === undefined
          ? await client.query(`${GRACE_CLOCKS_SELECT} ${GRACE_CLOCKS_ORDER}`)
          : await client.query(`${GRACE_CLOCKS_SELECT} WHERE subject = $1 ${GRACE_CLOCKS_ORDER}`, [subject]);
      return result.rows.map(graceClockFromPgRow);
    });
  }

  async ping(): Promise<void> {
    await this.#run("reach the store", true, (client) => client.query("SELECT 1"));
  }

  onReportsChanged(listener: ReportsListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.listener?.close();
    await this.pool.end().catch(() => {});
  }

  /**
   * Runs one operation on a pooled connection, turning any error into CIP_STORE "Cannot <op>". A connection
   * that failed is destroyed rather than returned, so the pool opens a fresh one next time; an idempotent
   * operation that lost its connection is tried once more on a new one (a server restart leaves stale ones).
   */
  async #run<T>(op: string, idempotent: boolean, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw closedStoreError(op, this.location);
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        // The pool listens for errors of idle connections only: a connection lost while checked out (a server
        // restart) emits "error" too, which unheard would crash the process; its query rejects all the same
        client.on("error", ignoreCheckedOutError);
        const result = await fn(client);
        client.off("error", ignoreCheckedOutError);
        client.release();
        return result;
      } catch (error) {
        client?.off("error", ignoreCheckedOutError);
        if (client !== undefined) client.release(isStatementError(error) ? undefined : true);
        // Only a connection that was up and then lost is worth a second try; a refused connect is not
        const lostOnTheWay = client !== undefined;
        if (idempotent && lostOnTheWay && attempt === 0 && isConnectionError(error) && !isTimeout(error))
          continue;
        throw storeError(op, error, this.location, postgresHint(error, this.options));
      }
    }
  }
}

/** A grace clock from a row whose times the driver read as Dates. */
function graceClockFromPgRow(row: Record<string, unknown>): GraceClock {
  return graceClockFromRow({
    ...row,
    started_at: (row.started_at as Date).toISOString(),
    ends_at: (row.ends_at as Date).toISOString(),
  } as GraceClockRow);
}

/** Heard while a pooled connection is checked out: the query running on it fails and says why. */
function ignoreCheckedOutError(): void {}

/** A timeout already took its full time: trying again would double the wait. */
function isTimeout(error: unknown): boolean {
  return /timeout/i.test(error instanceof Error ? error.message : String(error));
}

/** Runs `fn` between BEGIN and COMMIT on one connection, rolling back when it throws. */
async function transaction<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await fn();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
