import type { CvssEntry } from "../model/facts.js";
import type { Severity } from "../model/severity.js";
import { orderFor } from "../versions/ecosystem-order.js";
import type { OsvEvent, OsvRange } from "./osv-record.js";

/**
 * The package index: per (base ecosystem, package name) one row holding every affected entry of that package with
 * what a match reports, so matching a package is one read and one JSON.parse (no per-entry rows, no record lookups).
 * Range events are stored sorted in the ecosystem's order, so matching never sorts.
 */

/** What a finding reports of its record; parsed only when an entry matches. */
export interface IndexedRecord {
  aliases: string[];
  /** `upstream` and `related` ids. */
  advisories: string[];
  severity: Severity;
  cvss: CvssEntry[];
  summary: string | null;
  url: string | null;
}

/** One affected entry as matching reads it. */
export interface IndexedAffected {
  recordId: string;
  /** The full ecosystem with its release (`Debian:12`), which the lookup plan accepts or not. */
  ecosystem: string;
  /**
   * Each ECOSYSTEM/SEMVER range as flat pairs `[kind, version, kind, version, …]`, sorted in the ecosystem's
   * order (unsorted when the ecosystem has no known order, and then not used).
   */
  ranges: string[][];
  /** The explicit `versions` list. */
  versions: string[];
  /** Every `fixed` event, for ecosystems matched by their version lists alone. */
  fixed: string[];
  /** The entry's own severity, when it has one. */
  severity: Severity | null;
  /** JSON of the record's {@link IndexedRecord} fields, as an array. */
  record: string;
}

/** An `affected` row joined with its record, as the index is built from. */
export interface AffectedWithRecord {
  record_id: string;
  ecosystem: string;
  /** JSON OsvRange[] (GIT ranges already dropped). */
  ranges: string;
  /** JSON string[]. */
  versions: string;
  severity: Severity | null;
  withdrawn: string | null;
  aliases: string;
  advisories: string;
  record_severity: Severity;
  cvss: string;
  summary: string | null;
  url: string | null;
}

// A range starting at "introduced: 0" starts before every version, whatever the ecosystem's order says of "0".
function sortEvents(events: readonly OsvEvent[], ecosystemBase: string): OsvEvent[] {
  const order = orderFor(ecosystemBase);
  if (order === undefined) return [...events];
  const zeroFirst = (e: OsvEvent): boolean => e.kind === "introduced" && e.version === "0";
  return [...events].sort((a, b) => {
    if (zeroFirst(a) || zeroFirst(b)) return zeroFirst(a) === zeroFirst(b) ? 0 : zeroFirst(a) ? -1 : 1;
    return order.compare(a.version, b.version);
  });
}

/**
 * The index text of one package: its entries (withdrawn records left out) in a compact JSON array, or
 * undefined when no entry is left.
 */
export function encodePackageEntries(
  ecosystemBase: string,
  rows: readonly AffectedWithRecord[],
): string | undefined {
  const entries: unknown[] = [];
  for (const row of rows) {
    if (row.withdrawn !== null) continue;
    const ranges = JSON.parse(row.ranges) as OsvRange[];
    const flat = ranges.map((range) =>
      sortEvents(range.events, ecosystemBase).flatMap((e) => [e.kind, e.version]),
    );
    const fixed = ranges.flatMap((r) => r.events.filter((e) => e.kind === "fixed").map((e) => e.version));
    const record = [
      JSON.parse(row.aliases),
      JSON.parse(row.advisories),
      row.record_severity,
      JSON.parse(row.cvss),
      row.summary,
      row.url,
    ];
    entries.push([
      row.record_id,
      row.ecosystem,
      flat,
      JSON.parse(row.versions),
      fixed,
      row.severity,
      JSON.stringify(record),
    ]);
  }
  return entries.length === 0 ? undefined : JSON.stringify(entries);
}

type EncodedEntry = [string, string, string[][], string[], string[], Severity | null, string];

/** The entries of one package from its index text. */
export function decodePackageEntries(text: string): IndexedAffected[] {
  return (JSON.parse(text) as EncodedEntry[]).map(
    ([recordId, ecosystem, ranges, versions, fixed, severity, record]) => ({
      recordId,
      ecosystem,
      ranges,
      versions,
      fixed,
      severity,
      record,
    }),
  );
}

/** The record fields of a matched entry. */
export function decodeIndexedRecord(text: string): IndexedRecord {
  const [aliases, advisories, severity, cvss, summary, url] = JSON.parse(text) as [
    string[],
    string[],
    Severity,
    CvssEntry[],
    string | null,
    string | null,
  ];
  return { aliases, advisories, severity, cvss, summary, url };
}
