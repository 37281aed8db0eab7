import { normalizeSeverity } from "../../ingest/normalize/severity.js";
import { type Severity, severityRank } from "../../model/index.js";

/**
 * CIPolicE's numeric `level` is Clair's order of severities: Unknown 0, Negligible 1, Low 2, Medium 3, High 4,
 * Critical 5 (our severity ranks), and Defcon1 6. CIPolicE's clair.rules reads it (`level < 3` notifies,
 * `level >= 3 and level <= 7` blocks), so Medium and worse block. An image without findings is level 0.
 */
const DEFCON1_LEVEL = 6;

/** A scanner's severity word as our severity and Clair's level; undefined for a word no scanner uses. */
export function severityLevel(word: string | undefined): { severity: Severity; level: number } | undefined {
  const severity = normalizeSeverity(word);
  if (severity === undefined) return undefined;
  // Defcon1 is critical on our scale but one above it on Clair's, which rules written for Clair expect.
  const level = word?.trim().toLowerCase() === "defcon1" ? DEFCON1_LEVEL : severityRank(severity);
  return { severity, level };
}

/** Counts of findings per severity, every severity present (0 when none). */
export type SeverityCounts = Record<Severity, number>;

/** Zero counts for every severity. */
export function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
}

/** The highest severity with a count above 0, and its level; undefined when nothing was found. */
export function highestOf(counts: SeverityCounts): { severity: Severity; level: number } | undefined {
  const order: Severity[] = ["critical", "high", "medium", "low", "negligible", "unknown"];
  const top = order.find((s) => counts[s] > 0);
  return top === undefined ? undefined : { severity: top, level: severityRank(top) };
}
