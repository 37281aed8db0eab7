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

/** The record fields an entry carries, as stored in the record's row (JSON columns as text). */
export interface RecordColumns {
  id: string;
  /** JSON string[]. */
  aliases: string;
  /** JSON string[]. */
  advisories: string;
  severity: Severity;
  /** JSON CvssEntry[]. */
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
 * The index text of one affected entry of a record (GIT ranges already dropped), written beside the entry when
 * the record is stored; a package's index row is its entries' texts joined into a JSON array.
 */
export function encodeAffectedEntry(
  record: RecordColumns,
  ecosystem: string,
  ecosystemBase: string,
  ranges: readonly OsvRange[],
  versions: readonly string[],
  severity: Severity | null,
): string {
  const flat = ranges.map((range) =>
    sortEvents(range.events, ecosystemBase).flatMap((e) => [e.kind, e.version]),
  );
  const fixed = ranges.flatMap((r) => r.events.filter((e) => e.kind === "fixed").map((e) => e.version));
  // Built as text from the record's JSON columns, which are already serialized.
  const fields = `[${record.aliases},${record.advisories},${JSON.stringify(record.severity)},${record.cvss},${JSON.stringify(record.summary)},${JSON.stringify(record.url)}]`;
  return `[${JSON.stringify(record.id)},${JSON.stringify(ecosystem)},${JSON.stringify(flat)},${JSON.stringify(versions)},${JSON.stringify(fixed)},${JSON.stringify(severity)},${JSON.stringify(fields)}]`;
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
