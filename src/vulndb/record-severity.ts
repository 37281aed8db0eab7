import type { CvssEntry } from "../model/facts.js";
import type { Severity } from "../model/severity.js";
import { cvssV3BaseScore, cvssV3Severity } from "./cvss-v3.js";
import type { OsvAffected, OsvRecord, OsvSeverity } from "./osv-record.js";

// Words databases write for severity: GitHub (MODERATE), Red Hat (Important), Debian (unimportant), Ubuntu.
const WORDS: Record<string, Severity> = {
  critical: "critical",
  high: "high",
  important: "high",
  moderate: "medium",
  medium: "medium",
  low: "low",
  negligible: "negligible",
  unimportant: "negligible",
  none: "negligible",
  untriaged: "unknown",
  unknown: "unknown",
};

/** Our severity for a database's severity word (`MODERATE`, `Important`, `unimportant`…); undefined when not one. */
export function severityFromWord(word: string | undefined): Severity | undefined {
  return word === undefined ? undefined : WORDS[word.trim().toLowerCase()];
}

/** The CVSS v3 entries of a record's and an entry's severity lists, scored. */
export function cvssEntries(severity: readonly OsvSeverity[]): CvssEntry[] {
  const entries: CvssEntry[] = [];
  for (const item of severity) {
    if (item.type !== "CVSS_V3") continue;
    const scores = cvssV3BaseScore(item.score);
    if (scores === undefined) continue;
    entries.push({
      version: scores.version,
      source: "vendor",
      sourceName: "osv",
      baseScore: scores.baseScore,
      exploitabilityScore: scores.exploitabilityScore,
      impactScore: scores.impactScore,
      vector: item.score,
    });
  }
  return entries;
}

// Red Hat and its rebuilds start summaries with the severity: "Important: openssl security update".
const SUMMARY_WORD = /^(Critical|Important|Moderate|Low):/;

/**
 * The severity of a record, or of one of its affected entries when given: the database's own word
 * (`ecosystem_specific`/`database_specific.severity`), else the first CVSS v3 vector's base score, else an
 * `Ubuntu` severity entry, else a Red Hat-style summary prefix, else unknown.
 */
export function recordSeverity(record: OsvRecord, affected?: OsvAffected): Severity {
  const word = severityFromWord(affected?.severityWord) ?? severityFromWord(record.severityWord);
  if (word !== undefined && word !== "unknown") return word;
  const lists = affected === undefined ? [record.severity] : [affected.severity, record.severity];
  for (const list of lists) {
    const first = cvssEntries(list)[0];
    if (first !== undefined) return cvssV3Severity(first.baseScore);
  }
  for (const list of lists) {
    const ubuntu = list.find((s) => s.type === "Ubuntu");
    const fromUbuntu = severityFromWord(ubuntu?.score);
    if (fromUbuntu !== undefined) return fromUbuntu;
  }
  const prefix = SUMMARY_WORD.exec(record.summary ?? "");
  return severityFromWord(prefix?.[1]) ?? "unknown";
}
