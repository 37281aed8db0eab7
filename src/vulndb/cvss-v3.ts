import type { Severity } from "../model/severity.js";

/** The base scores of a CVSS v3.x vector. */
export interface CvssV3Scores {
  /** `3.0` or `3.1`, from the vector's prefix. */
  version: string;
  baseScore: number;
  exploitabilityScore: number;
  impactScore: number;
}

// Metric weights from FIRST's CVSS v3.1 specification, section 7.4 (v3.0 uses the same weights).
const ATTACK_VECTOR: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const ATTACK_COMPLEXITY: Record<string, number> = { L: 0.77, H: 0.44 };
const PRIVILEGES_UNCHANGED: Record<string, number> = { N: 0.85, L: 0.62, H: 0.27 };
const PRIVILEGES_CHANGED: Record<string, number> = { N: 0.85, L: 0.68, H: 0.5 };
const USER_INTERACTION: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };
const BASE_METRICS = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"] as const;

// v3.1's Roundup works on integers so that 4.000000001 does not become 4.1 (specification, Appendix A).
function roundUp31(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

function roundUp30(value: number): number {
  return Math.ceil(value * 10) / 10;
}

function oneDecimal(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The base score, exploitability and impact subscores of a CVSS v3.0 or v3.1 vector
 * (`CVSS:3.1/AV:N/AC:L/...`), per FIRST's specification; undefined when the vector is not v3 or lacks a
 * base metric. Temporal and environmental metrics in the vector do not change the base score.
 */
export function cvssV3BaseScore(vector: string): CvssV3Scores | undefined {
  if (vector.length > 512) return undefined;
  const parts = vector.trim().split("/");
  const prefix = /^CVSS:(3\.[01])$/.exec(parts[0] ?? "");
  if (prefix === null) return undefined;
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [key, value, extra] = part.split(":");
    if (key === undefined || value === undefined || extra !== undefined || metrics.has(key)) return undefined;
    metrics.set(key, value);
  }
  if (BASE_METRICS.some((m) => !metrics.has(m))) return undefined;
  const scope = metrics.get("S");
  if (scope !== "U" && scope !== "C") return undefined;
  const changed = scope === "C";
  const av = ATTACK_VECTOR[metrics.get("AV") as string];
  const ac = ATTACK_COMPLEXITY[metrics.get("AC") as string];
  const pr = (changed ? PRIVILEGES_CHANGED : PRIVILEGES_UNCHANGED)[metrics.get("PR") as string];
  const ui = USER_INTERACTION[metrics.get("UI") as string];
  const c = CIA[metrics.get("C") as string];
  const i = CIA[metrics.get("I") as string];
  const a = CIA[metrics.get("A") as string];
  if ([av, ac, pr, ui, c, i, a].some((w) => w === undefined)) return undefined;
  const iss = 1 - (1 - (c as number)) * (1 - (i as number)) * (1 - (a as number));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * (av as number) * (ac as number) * (pr as number) * (ui as number);
  const version = (prefix[1] as string) === "3.0" ? "3.0" : "3.1";
  const roundUp = version === "3.0" ? roundUp30 : roundUp31;
  let base = 0;
  if (impact > 0) {
    base = changed
      ? roundUp(Math.min(1.08 * (impact + exploitability), 10))
      : roundUp(Math.min(impact + exploitability, 10));
  }
  return {
    version,
    baseScore: base,
    exploitabilityScore: oneDecimal(exploitability),
    impactScore: impact > 0 ? oneDecimal(impact) : 0,
  };
}

/** The qualitative rating of a CVSS v3 base score (specification, section 5); `None` (0.0) is negligible. */
export function cvssV3Severity(baseScore: number): Severity {
  if (baseScore >= 9) return "critical";
  if (baseScore >= 7) return "high";
  if (baseScore >= 4) return "medium";
  if (baseScore >= 0.1) return "low";
  return "negligible";
}
