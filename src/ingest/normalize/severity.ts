import type { Severity } from "../../model/index.js";

// Every scanner's word for a severity, lower-cased, onto our scale.
const WORDS: Record<string, Severity> = {
  unknown: "unknown",
  undefined: "unknown",
  unspecified: "unknown",
  none: "negligible",
  negligible: "negligible",
  informational: "negligible",
  info: "negligible",
  low: "low",
  minor: "low",
  medium: "medium",
  moderate: "medium",
  high: "high",
  important: "high",
  major: "high",
  critical: "critical",
  defcon1: "critical",
};

/**
 * A scanner's severity word as our Severity (case-insensitive): Defcon1 → critical, Moderate → medium,
 * Important → high, Informational/None → negligible. Undefined when the word is not one we know.
 */
export function normalizeSeverity(word: string | undefined | null): Severity | undefined {
  if (typeof word !== "string") return undefined;
  // Scanners write these words in one of three spellings: look those up without allocating.
  return SPELLINGS.get(word) ?? WORDS[word.trim().toLowerCase()];
}

const SPELLINGS = new Map<string, Severity>(
  Object.entries(WORDS).flatMap(([word, severity]) => [
    [word, severity],
    [word.toUpperCase(), severity],
    [word.charAt(0).toUpperCase() + word.slice(1), severity],
  ]),
);

/** The severity band of a CVSS v3 base score (0 none → negligible, <4 low, <7 medium, <9 high, else critical). */
export function severityFromCvss(score: number): Severity {
  if (score <= 0) return "negligible";
  if (score < 4) return "low";
  if (score < 7) return "medium";
  if (score < 9) return "high";
  return "critical";
}
