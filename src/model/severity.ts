/** Vulnerability severity, ordered from least to most severe. */
export type Severity = "unknown" | "negligible" | "low" | "medium" | "high" | "critical";

/** Severities in ascending order; the index is the rank used for comparisons. */
export const SEVERITIES: readonly Severity[] = ["unknown", "negligible", "low", "medium", "high", "critical"];

const RANK: Record<Severity, number> = {
  unknown: 0,
  negligible: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

/** Rank of a severity (unknown = 0 … critical = 5). */
export function severityRank(severity: Severity): number {
  return RANK[severity];
}

/** True when the string names one of our severities (lower case). */
export function isSeverity(value: string): value is Severity {
  return Object.hasOwn(RANK, value);
}
