import { CipError } from "../model/index.js";
import type { DecisionRecord, NewReport, StoredReport } from "../service/store-ports.js";

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
