import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
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
import { closedStoreError, driverCode, storeError } from "./store-error.js";
import { type OpenStoreOptions, resolveStoreOptions } from "./store-options.js";
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
  type ReportRow,
  reportFromRow,
  storedTime,
  type VerdictRow,
  verdictFromRow,
} from "./store-rows.js";

/** The in-memory database spec (`sqlite::memory:`): one private database per store, gone at close. */
export const SQLITE_MEMORY = ":memory:";

// Every open store of one file in this process, so a put through one tells the listeners of all.
const openByFile = new Map<string, Set<SqliteStore>>();

/**
 * Opens (creating the file and its directory when needed) a SQLite store: WAL journal, a busy timeout of
 * `statementTimeoutMs`, pending migrations applied in one immediate transaction. Every failure is CIP_STORE.
 */
export async function openSqliteStore(path: string, options: OpenStoreOptions = {}): Promise<Store> {
  const resolved = resolveStoreOptions(options);
  const memory = path === SQLITE_MEMORY;
  const location = memory ? "sqlite::memory:" : resolve(path);
  let db: Database.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(location), { recursive: true });
    db = new Database(memory ? ":memory:" : location, { timeout: resolved.statementTimeoutMs });
    // WAL: readers never wait for the writer, and a crash loses at most the last transactions
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    migrate(db, location);
  } catch (error) {
    db?.close();
    throw storeError("open the store", error, location, sqliteHint(error));
  }
  let peers = openByFile.get(location);
  if (peers === undefined) {
    peers = new Set();
    // An in-memory database is private to its store: nobody shares its changes
    if (!memory) openByFile.set(location, peers);
  }
  const store = new SqliteStore(db, location, peers, resolved.onWarning);
  peers.add(store);
  return store;
}

function migrate(db: Database.Database, location: string): void {
  // Immediate: a second process opening the same file waits (busy timeout) instead of migrating too
  db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    const applied = db.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).pluck().all() as number[];
    const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`);
    for (const migration of pendingMigrations(applied, location)) {
      db.exec(migration.sqlite);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
  }).immediate();
}

/** What to do about a SQLite error, from its code. */
function sqliteHint(error: unknown): string {
  const code = driverCode(error) ?? "";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return "Another process holds the database's write lock longer than the statement timeout; retry, or raise the timeout.";
  if (/^(SQLITE_CANTOPEN|SQLITE_READONLY|SQLITE_PERM|SQLITE_AUTH|EACCES|EROFS|ENOTDIR)/.test(code))
    return "Check that the file and its directory exist or can be created, and are writable by this process.";
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB"))
    return "The file is not a SQLite database or is damaged: restore it from a backup or point the store at a new file.";
  if (code.startsWith("SQLITE_FULL") || code === "ENOSPC")
    return "Free space on the file system of the database.";
  return "Check the database file; the error comes from SQLite.";
}

/** The SQLite adapter: one file, synchronous inside, async at the port. */
class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly #listeners: ListenerSet;
  #db: Database.Database | undefined;
  readonly #statements: ReturnType<typeof prepareStatements>;

  constructor(
    db: Database.Database,
    readonly location: string,
    /** Every open store of this file in this process, this one included. */
    private readonly peers: Set<SqliteStore>,
    onWarning?: (message: string, error?: unknown) => void,
  ) {
    this.#db = db;
    this.#statements = prepareStatements(db);
    this.#listeners = new ListenerSet((error) =>
      onWarning?.(`A reports-changed listener threw (${location})`, error),
    );
  }

  async putReports(digest: string, reports: NewReport[], now: Date): Promise<{ revision: number }> {
    const revision = this.#run(`store the reports of ${digest}`, (db) => {
      const receivedAt = storedTime(now, "the reports' receive time", this.location);
      const s = this.#statements;
      return db.transaction(() => {
        for (const report of lastByName(reports)) {
          s.upsertReport.run(
            digest,
            report.name,
            report.format,
            report.text,
            report.pushedBy ?? null,
            receivedAt,
          );
        }
        return s.bumpRevision.get(digest) as number;
      })();
    });
    for (const peer of this.peers) peer.#listeners.emit(digest);
    return { revision };
  }

  async listReports(digest: string): Promise<StoredReport[]> {
    return this.#run(`read the reports of ${digest}`, () =>
      (this.#statements.listReports.all(digest) as ReportRow[]).map(reportFromRow),
    );
  }

  async reportRevision(digest: string): Promise<number> {
    return this.#run(
      `read the report revision of ${digest}`,
      () => (this.#statements.revision.get(digest) as number | undefined) ?? 0,
    );
  }

  async recordDecision(record: DecisionRecord): Promise<void> {
    this.#run(`record decision ${record.decisionId}`, () => {
      const decidedAt = storedTime(record.decidedAt, `decision ${record.decisionId}`, this.location);
      this.#statements.insertDecision.run(
        record.decisionId,
        record.image,
        record.digest ?? null,
        record.outcome,
        record.origin,
        record.namespace ?? null,
        decidedAt,
        record.decision === undefined ? null : JSON.stringify(record.decision),
        record.reason ?? null,
      );
    });
  }

  async listDecisions(query: DecisionQuery): Promise<DecisionRecord[]> {
    return this.#run("read decisions", () => {
      const filters = decisionFilters(query);
      const limit = decisionLimit(query.limit);
      if (filters.none || limit === 0) return [];
      const s = this.#statements;
      const params = [filters.image, filters.digest].filter((v) => v !== null);
      const statement =
        filters.image === null
          ? filters.digest === null
            ? s.listDecisions
            : s.listDecisionsByDigest
          : filters.digest === null
            ? s.listDecisionsByImage
            : s.listDecisionsByBoth;
      const rows = statement.all(...params, limit) as (Omit<DecisionRow, "decision"> & {
        decision: string | null;
      })[];
      return rows.map((row) =>
        decisionFromRow({ ...row, decision: row.decision === null ? null : JSON.parse(row.decision) }),
      );
    });
  }

  async claimEvent(
    messageId: string,
    source: string,
    now: Date,
    leaseMs: number,
  ): Promise<"new" | "done" | "busy"> {
    return this.#run(`claim event ${messageId}`, (db) => {
      const at = storedTime(now, `the claim time of event ${messageId}`, this.location);
      const staleBefore = new Date(now.getTime() - leaseMs).toISOString();
      const s = this.#statements;
      return db.transaction(() => {
        if (s.claimEvent.get({ p1: messageId, p2: source, p3: at, p4: staleBefore }) !== undefined)
          return "new" as const;
        return claimResultOf(s.eventState.get(messageId) as string | undefined);
      })();
    });
  }

  async releaseEvent(messageId: string): Promise<void> {
    this.#run(`release event ${messageId}`, () => this.#statements.releaseEvent.run(messageId));
  }

  async finishEvent(
    messageId: string,
    result: Pick<EventRecord, "state" | "message" | "outcomes" | "reason">,
    now: Date,
  ): Promise<void> {
    this.#run(`record the end of event ${messageId}`, () => {
      const at = storedTime(now, `the end time of event ${messageId}`, this.location);
      this.#statements.finishEvent.run({
        id: messageId,
        state: result.state,
        at,
        message: result.message === undefined ? null : JSON.stringify(result.message),
        outcomes: JSON.stringify(result.outcomes),
        reason: result.reason ?? null,
      });
    });
  }

  async listEvents(query: { messageId?: string; limit: number }): Promise<EventRecord[]> {
    return this.#run("read events", () => {
      const limit = decisionLimit(query.limit);
      if (limit === 0) return [];
      const s = this.#statements;
      const rows = (
        query.messageId === undefined ? s.listEvents.all(limit) : s.listEventsById.all(query.messageId, limit)
      ) as (Omit<EventRow, "message" | "outcomes"> & { message: string | null; outcomes: string })[];
      return rows.map((row) =>
        eventFromRow({
          ...row,
          message: row.message === null ? null : JSON.parse(row.message),
          outcomes: JSON.parse(row.outcomes),
        }),
      );
    });
  }

  async putVerdict(verdict: ImageVerdict): Promise<void> {
    this.#run(`record the verdict on ${verdict.subject}`, () => {
      const at = storedTime(verdict.setAt, `the verdict on ${verdict.subject}`, this.location);
      this.#statements.putVerdict.run(verdict.subject, verdict.verdict, verdict.reason, verdict.setBy, at);
    });
  }

  async listVerdicts(): Promise<ImageVerdict[]> {
    return this.#run("read the verdicts", () =>
      (this.#statements.listVerdicts.all() as VerdictRow[]).map(verdictFromRow),
    );
  }

  async getVerdict(subject: string): Promise<ImageVerdict | undefined> {
    return this.#run(`read the verdict on ${subject}`, () => {
      const row = this.#statements.getVerdict.get(subject) as VerdictRow | undefined;
      return row === undefined ? undefined : verdictFromRow(row);
    });
  }

  async recordContainerCheck(record: ContainerCheckRecord): Promise<void> {
    this.#run(`record the check of container ${record.containerId}`, () => {
      const checkedAt = storedTime(
        record.checkedAt,
        `the check time of container ${record.containerId}`,
        this.location,
      );
      this.#statements.insertContainerCheck.run({
        host: record.host,
        containerId: record.containerId,
        containerName: record.containerName,
        image: record.image,
        imageId: record.imageId,
        digest: record.digest ?? null,
        outcome: record.outcome,
        checks: JSON.stringify(record.checks),
        action: record.action ?? null,
        checkedAt,
      });
    });
  }

  async latestContainerChecks(query: {
    since?: string;
    host?: string;
    limit: number;
  }): Promise<ContainerCheckRecord[]> {
    return this.#run("read container checks", () => {
      const limit = decisionLimit(query.limit);
      const since =
        query.since === undefined
          ? undefined
          : filterTime(query.since, "container checks since", this.location);
      if (limit === 0) return [];
      const s = this.#statements;
      const statement =
        since === undefined
          ? query.host === undefined
            ? s.latestChecks
            : s.latestChecksByHost
          : query.host === undefined
            ? s.latestChecksSince
            : s.latestChecksByHostSince;
      const params: Record<string, string | number> = { limit };
      if (since !== undefined) params.since = since;
      if (query.host !== undefined) params.host = query.host;
      const rows = statement.all(params) as (Omit<ContainerCheckRow, "checks"> & { checks: string })[];
      return rows.map((row) => containerCheckFromRow({ ...row, checks: JSON.parse(row.checks) }));
    });
  }

  async startGraceClocks(
    subject: string,
    clocks: readonly Omit<GraceClock, "subject">[],
  ): Promise<GraceClock[]> {
    return this.#run(`start the grace clocks of ${subject}`, (db) => {
      const rows = graceClockRows(subject, clocks, this.location);
      const s = this.#statements;
      return db.transaction(() => {
        for (const row of rows) s.startGraceClock.run(row);
        return (s.listGraceClocksOf.all(subject) as GraceClockRow[]).map(graceClockFromRow);
      })();
    });
  }

  async stopGraceClocks(subject: string, still: readonly string[]): Promise<void> {
    this.#run(`stop the grace clocks of ${subject}`, () =>
      this.#statements.stopGraceClocks.run(subject, JSON.stringify(still)),
    );
  }

  async listGraceClocks(subject?: string): Promise<GraceClock[]> {
    return this.#run("read the grace clocks", () => {
      const s = this.#statements;
      const rows = (
        subject === undefined ? s.listGraceClocks.all() : s.listGraceClocksOf.all(subject)
      ) as GraceClockRow[];
      return rows.map(graceClockFromRow);
    });
  }

  async ping(): Promise<void> {
    this.#run("reach the store", (db) => db.prepare("SELECT 1").get());
  }

  onReportsChanged(listener: ReportsListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    this.#db = undefined;
    this.#listeners.clear();
    this.peers.delete(this);
    if (this.peers.size === 0 && openByFile.get(this.location) === this.peers)
      openByFile.delete(this.location);
    db.close();
  }

  /** Runs one operation, turning any driver error into CIP_STORE "Cannot <op>". */
  #run<T>(op: string, fn: (db: Database.Database) => T): T {
    const db = this.#db;
    if (db === undefined) throw closedStoreError(op, this.location);
    try {
      return fn(db);
    } catch (error) {
      throw storeError(op, error, this.location, sqliteHint(error));
    }
  }
}

/** Every statement the adapter runs, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  return {
    upsertReport: db.prepare(
      `INSERT INTO reports (digest, name, format, text, pushed_by, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (digest, name) DO UPDATE SET format = excluded.format, text = excluded.text,
         pushed_by = excluded.pushed_by, received_at = excluded.received_at`,
    ),
    bumpRevision: db
      .prepare(
        `INSERT INTO report_revisions (digest, revision) VALUES (?, 1)
         ON CONFLICT (digest) DO UPDATE SET revision = revision + 1 RETURNING revision`,
      )
      .pluck(),
    listReports: db.prepare(
      "SELECT digest, name, format, text, pushed_by, received_at FROM reports WHERE digest = ? ORDER BY name",
    ),
    revision: db.prepare("SELECT revision FROM report_revisions WHERE digest = ?").pluck(),
    insertDecision: db.prepare(
      `INSERT INTO decisions (decision_id, image, digest, outcome, origin, namespace, decided_at, decision, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id) DO NOTHING`,
    ),
    // One statement per filter, so SQLite picks the index that also gives the order
    listDecisions: db.prepare(listDecisionsSql("")),
    listDecisionsByImage: db.prepare(listDecisionsSql("WHERE image = ?")),
    listDecisionsByDigest: db.prepare(listDecisionsSql("WHERE digest = ?")),
    listDecisionsByBoth: db.prepare(listDecisionsSql("WHERE image = ? AND digest = ?")),
    claimEvent: db.prepare(claimEventSql((n) => `@p${n}`)),
    releaseEvent: db.prepare(RELEASE_EVENT_SQL.replace("$1", "?")),
    eventState: db.prepare("SELECT state FROM events WHERE message_id = ?").pluck(),
    finishEvent: db.prepare(
      `UPDATE events SET state = @state, finished_at = @at, message = @message, outcomes = @outcomes,
         reason = @reason WHERE message_id = @id`,
    ),
    listEvents: db.prepare(`${EVENTS_SELECT} ORDER BY received_at DESC, seq DESC LIMIT ?`),
    listEventsById: db.prepare(`${EVENTS_SELECT} WHERE message_id = ? ORDER BY seq DESC LIMIT ?`),
    putVerdict: db.prepare(
      `INSERT INTO verdicts (subject, verdict, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (subject) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason,
         set_by = excluded.set_by, set_at = excluded.set_at`,
    ),
    listVerdicts: db.prepare(
      "SELECT subject, verdict, reason, set_by, set_at FROM verdicts ORDER BY subject",
    ),
    getVerdict: db.prepare("SELECT subject, verdict, reason, set_by, set_at FROM verdicts WHERE subject = ?"),
    insertContainerCheck: db.prepare(
      `INSERT INTO container_checks (host, container_id, container_name, image, image_id, digest, outcome, checks,
         action, checked_at)
       VALUES (@host, @containerId, @containerName, @image, @imageId, @digest, @outcome, @checks, @action, @checkedAt)`,
    ),
    // One statement per filter, so SQLite picks the index that also gives the order
    latestChecks: db.prepare(latestContainerChecksSql({}, "@limit")),
    latestChecksSince: db.prepare(latestContainerChecksSql({ since: "@since" }, "@limit")),
    latestChecksByHost: db.prepare(latestContainerChecksSql({ host: "@host" }, "@limit")),
    latestChecksByHostSince: db.prepare(
      latestContainerChecksSql({ since: "@since", host: "@host" }, "@limit"),
    ),
    startGraceClock: db.prepare(
      `INSERT INTO grace_clocks (subject, finding, severity, started_at, ends_at)
       VALUES (@subject, @finding, @severity, @started_at, @ends_at) ON CONFLICT (subject, finding) DO NOTHING`,
    ),
    stopGraceClocks: db.prepare(
      "DELETE FROM grace_clocks WHERE subject = ? AND finding NOT IN (SELECT value FROM json_each(?))",
    ),
    listGraceClocks: db.prepare(`${GRACE_CLOCKS_SELECT} ${GRACE_CLOCKS_ORDER}`),
    listGraceClocksOf: db.prepare(`${GRACE_CLOCKS_SELECT} WHERE subject = ? ${GRACE_CLOCKS_ORDER}`),
  };
}

const EVENTS_SELECT =
  "SELECT message_id, source, state, received_at, finished_at, message, outcomes, reason FROM events";

function listDecisionsSql(where: string): string {
  return `SELECT decision_id, image, digest, outcome, origin, namespace, decided_at, decision, reason
    FROM decisions ${where} ORDER BY decided_at DESC, seq DESC LIMIT ?`;
}
