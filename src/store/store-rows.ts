import { CipError } from "../model/index.js";
import type {
  ActionRecord,
  ContainerCheckRecord,
  DecisionRecord,
  EventRecord,
  GraceClock,
  ImageVerdict,
  NewReport,
  StoredReport,
} from "../service/store-ports.js";

/** Most decisions one `listDecisions` call returns, whatever the query asks. */
export const MAX_DECISIONS = 1_000;

/** The query's limit as a row count between 0 and MAX_DECISIONS (a non-number means the maximum). */
export function decisionLimit(limit: number): number {
  if (!Number.isFinite(limit)) return MAX_DECISIONS;
  return Math.max(0, Math.min(MAX_DECISIONS, Math.floor(limit)));
}

/** A digest as `image` filter (`sha256:…`) selects on the digest column; anything else is a reference. */
export function isDigest(value: string): boolean {
  return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(value);
}

/**
 * Both filter columns of a decision query: `image` holding a digest becomes a digest filter, so either
 * filter uses an index in date order. Two different digests select nothing; `null` means no filter.
 */
export function decisionFilters(query: { image?: string; digest?: string }): {
  image: string | null;
  digest: string | null;
  none: boolean;
} {
  let image = query.image ?? null;
  let digest = query.digest ?? null;
  if (image !== null && isDigest(image)) {
    if (digest !== null && digest !== image) return { image: null, digest: null, none: true };
    digest = image;
    image = null;
  }
  return { image, digest, none: false };
}

/**
 * A time as both adapters store it: ISO 8601 UTC with milliseconds, so text order is time order in SQLite
 * and both return the same string. Refuses what is not a date with CIP_STORE naming the field.
 */
export function storedTime(value: string | Date, what: string, location: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new CipError("CIP_STORE", `Cannot store ${what}: "${String(value)}" is not a date (${location})`, {
      hint: "Give an RFC 3339 time such as 2026-01-31T12:00:00Z.",
    });
  }
  return date.toISOString();
}

/** The reports of one put, one per name: a later report of the same name in the same call wins. */
export function lastByName(reports: readonly NewReport[]): NewReport[] {
  const byName = new Map<string, NewReport>();
  for (const report of reports) {
    const name = report.name || report.format;
    byName.delete(name);
    byName.set(name, { ...report, name });
  }
  return [...byName.values()];
}

/** A reports row as both adapters read it (times already ISO strings, text already decoded). */
export interface ReportRow {
  digest: string;
  name: string;
  format: string;
  text: string;
  pushed_by: string | null;
  received_at: string;
}

/** A stored report from its row, leaving out what was never given. */
export function reportFromRow(row: ReportRow): StoredReport {
  const report: StoredReport = {
    digest: row.digest,
    name: row.name,
    format: row.format,
    text: row.text,
    receivedAt: row.received_at,
  };
  if (row.pushed_by !== null) report.pushedBy = row.pushed_by;
  return report;
}

/** A decisions row as both adapters read it (`decision` already parsed). */
export interface DecisionRow {
  decision_id: string;
  image: string;
  digest: string | null;
  outcome: string;
  origin: string;
  namespace: string | null;
  decided_at: string;
  decision: unknown;
  reason: string | null;
}

/** A decision record from its row, leaving out what was never given. */
export function decisionFromRow(row: DecisionRow): DecisionRecord {
  const record: DecisionRecord = {
    decisionId: row.decision_id,
    image: row.image,
    outcome: row.outcome as DecisionRecord["outcome"],
    origin: row.origin,
    decidedAt: row.decided_at,
  };
  if (row.digest !== null) record.digest = row.digest;
  if (row.namespace !== null) record.namespace = row.namespace;
  if (row.decision !== null && row.decision !== undefined)
    record.decision = row.decision as NonNullable<DecisionRecord["decision"]>;
  if (row.reason !== null) record.reason = row.reason;
  return record;
}

/** An events row as both adapters read it (times already ISO strings, JSON already parsed). */
export interface EventRow {
  message_id: string;
  source: string;
  state: string;
  received_at: string;
  finished_at: string | null;
  message: unknown;
  outcomes: unknown;
  reason: string | null;
}

/** An event record from its row, leaving out what was never given. */
export function eventFromRow(row: EventRow): EventRecord {
  const record: EventRecord = {
    messageId: row.message_id,
    source: row.source,
    state: row.state as EventRecord["state"],
    receivedAt: row.received_at,
    outcomes: Array.isArray(row.outcomes) ? (row.outcomes as ActionRecord[]) : [],
  };
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  if (row.message !== null && row.message !== undefined)
    record.message = row.message as Record<string, unknown>;
  if (row.reason !== null) record.reason = row.reason;
  return record;
}

/** A verdicts row as both adapters read it. */
export interface VerdictRow {
  subject: string;
  verdict: string;
  reason: string;
  set_by: string;
  set_at: string;
}

/** An image verdict from its row. */
export function verdictFromRow(row: VerdictRow): ImageVerdict {
  return {
    subject: row.subject,
    verdict: row.verdict as ImageVerdict["verdict"],
    reason: row.reason,
    setBy: row.set_by,
    setAt: row.set_at,
  };
}

/**
 * The claim statement both dialects run: a first claim inserts a running row; a running row whose claim is
 * older than the lease is taken over; anything else is left alone and returns no row (then read its state).
 */
export function claimEventSql(param: (n: number) => string): string {
  return `INSERT INTO events (message_id, source, state, received_at, claimed_at)
    VALUES (${param(1)}, ${param(2)}, 'running', ${param(3)}, ${param(3)})
    ON CONFLICT (message_id) DO UPDATE SET claimed_at = excluded.claimed_at, source = excluded.source
      WHERE events.state = 'running' AND events.claimed_at < ${param(4)}
    RETURNING state`;
}

/** Makes a running claim look older than any lease, so the next claim takes it over (`$1`: the message id). */
export const RELEASE_EVENT_SQL = `UPDATE events SET claimed_at = '1970-01-01T00:00:00.000Z' WHERE message_id = $1 AND state = 'running'`;

/** What a claim that changed no row means, from the row's state. */
export function claimResultOf(state: string | undefined): "done" | "busy" {
  return state === "running" ? "busy" : "done";
}

/**
 * A time as a read filter compares it (the same form as `storedTime`). Refuses what is not a date with
 * CIP_STORE naming the filter.
 */
export function filterTime(value: string, what: string, location: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new CipError("CIP_STORE", `Cannot read ${what}: "${value}" is not a date (${location})`, {
      hint: "Give an RFC 3339 time such as 2026-01-31T12:00:00Z.",
    });
  }
  return date.toISOString();
}

/** A container_checks row as both adapters read it (times already ISO strings, `checks` already parsed). */
export interface ContainerCheckRow {
  host: string;
  container_id: string;
  container_name: string;
  image: string;
  image_id: string;
  digest: string | null;
  outcome: string;
  checks: unknown;
  action: string | null;
  checked_at: string;
}

/** A container check record from its row, leaving out what was never given. */
export function containerCheckFromRow(row: ContainerCheckRow): ContainerCheckRecord {
  const record: ContainerCheckRecord = {
    host: row.host,
    containerId: row.container_id,
    containerName: row.container_name,
    image: row.image,
    imageId: row.image_id,
    outcome: row.outcome as ContainerCheckRecord["outcome"],
    checks: Array.isArray(row.checks) ? (row.checks as ContainerCheckRecord["checks"]) : [],
    checkedAt: row.checked_at,
  };
  if (row.digest !== null) record.digest = row.digest;
  if (row.action !== null) record.action = row.action;
  return record;
}

/**
 * The newest check of each container (host and id), newest first, as both dialects run it; `where` holds
 * the placeholders of the filters given. The table only grows, so neither way reads it whole: with `since`,
 * the checks since then are walked in time order, each kept if it is its container's newest (one probe of
 * the per-container index); without, the per-container index is skipped through one container at a time
 * (neither SQLite nor PostgreSQL does that by itself) and each container's newest check read from it.
 */
export function latestContainerChecksSql(where: { since?: string; host?: string }, limit: string): string {
  const columns = `c.host, c.container_id, c.container_name, c.image, c.image_id, c.digest, c.outcome, c.checks,
      c.action, c.checked_at`;
  const newestOf = (
    container: string,
  ) => `(SELECT n.seq FROM container_checks n WHERE n.host = ${container}.host
      AND n.container_id = ${container}.container_id ORDER BY n.checked_at DESC, n.seq DESC LIMIT 1)`;
  const order = `ORDER BY c.checked_at DESC, c.seq DESC LIMIT ${limit}`;
  if (where.since !== undefined) {
    const filters = [`c.checked_at >= ${where.since}`];
    if (where.host !== undefined) filters.push(`c.host = ${where.host}`);
    filters.push(`c.seq = ${newestOf("c")}`);
    return `SELECT ${columns} FROM container_checks c WHERE ${filters.join(" AND ")} ${order}`;
  }
  const onHost = where.host === undefined ? "" : `WHERE n.host = ${where.host}`;
  // Each step takes the next container of the same host, else the first of the next host (when not on one)
  const sameHost = `(SELECT n.container_id FROM container_checks n WHERE n.host = k.host
      AND n.container_id > k.container_id ORDER BY n.host, n.container_id LIMIT 1)`;
  const nextHost =
    where.host === undefined
      ? "(SELECT n.host FROM container_checks n WHERE n.host > k.host ORDER BY n.host LIMIT 1)"
      : "NULL";
  const firstOfNextHost = `(SELECT n.container_id FROM container_checks n WHERE n.host = ${nextHost}
      ORDER BY n.host, n.container_id LIMIT 1)`;
  // The walk ends on the row after the last container, whose container_id is NULL
  return `WITH RECURSIVE containers (host, container_id) AS (
      SELECT host, container_id FROM (SELECT n.host, n.container_id FROM container_checks n ${onHost}
        ORDER BY n.host, n.container_id LIMIT 1) first
      UNION ALL
      SELECT CASE WHEN ${sameHost} IS NULL THEN ${nextHost} ELSE k.host END,
        COALESCE(${sameHost}, ${firstOfNextHost})
      FROM containers k WHERE k.container_id IS NOT NULL
    )
    SELECT ${columns} FROM containers k JOIN container_checks c ON c.seq = ${newestOf("k")} ${order}`;
}

/** A grace_clocks row as both adapters read it (times already ISO strings). */
export interface GraceClockRow {
  subject: string;
  finding: string;
  severity: string;
  started_at: string;
  ends_at: string;
}

/** A grace clock from its row. */
export function graceClockFromRow(row: GraceClockRow): GraceClock {
  return {
    subject: row.subject,
    finding: row.finding,
    severity: row.severity,
    startedAt: row.started_at,
    endsAt: row.ends_at,
  };
}

/**
 * The clocks of one start as rows to insert: one per finding (the first given wins, as the first inserted
 * would), times in stored form, sorted by finding so that replicas starting overlapping sets at once lock
 * rows in the same order and cannot deadlock.
 */
export function graceClockRows(
  subject: string,
  clocks: readonly Omit<GraceClock, "subject">[],
  location: string,
): GraceClockRow[] {
  const byFinding = new Map<string, GraceClockRow>();
  for (const clock of clocks) {
    if (byFinding.has(clock.finding)) continue;
    const what = `the grace clock of ${clock.finding} on ${subject}`;
    byFinding.set(clock.finding, {
      subject,
      finding: clock.finding,
      severity: clock.severity,
      started_at: storedTime(clock.startedAt, `the start of ${what}`, location),
      ends_at: storedTime(clock.endsAt, `the end of ${what}`, location),
    });
  }
  return [...byFinding.values()].sort((a, b) => (a.finding < b.finding ? -1 : a.finding > b.finding ? 1 : 0));
}

/** The columns of a grace clock, in the order every SELECT of them reads them. */
export const GRACE_CLOCKS_SELECT = "SELECT subject, finding, severity, started_at, ends_at FROM grace_clocks";

/** Clock order: soonest end first, then subject and finding, so clocks of equal end list in a stable order. */
export const GRACE_CLOCKS_ORDER = "ORDER BY ends_at, subject, finding";
