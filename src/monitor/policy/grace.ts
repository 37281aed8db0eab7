import type { DecisionV1, ImageFacts, Severity } from "../../model/index.js";
import { SEVERITIES } from "../../model/index.js";

const DAY_MS = 86_400_000;

/** Grace periods in milliseconds by severity, and for findings without one (`default`). */
export type GracePeriods = Partial<Record<Severity | "default", number>>;

/** A finding that fails the policy, with the severity that picks its grace period. */
export interface FailingFinding {
  /** The rule's trigger id (`CVE-2026-1+openssl`, or an md5 for other gates). */
  finding: string;
  /** The vulnerability's severity, or `default` for findings of other gates. */
  severity: Severity | "default";
  /** The row's message, for logs. */
  message: string;
}

/** Reads `7`, `7d`, `12h`, `30m`, `0.5` (days) into milliseconds; undefined when it is not one of those. */
export function parseGraceDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([dhm]?)\s*$/i.exec(text);
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? "").toLowerCase();
  const ms = unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : DAY_MS;
  const total = value * ms;
  return Number.isFinite(total) && total <= 3650 * DAY_MS ? Math.round(total) : undefined;
}

/**
 * The grace periods a check section sets (`grace_critical = 1d`, `grace_high = 7`, `grace_default = 0`, …),
 * and the problems with them (unknown severity, unreadable duration), one message each.
 */
export function gracePeriodsOf(settings: Readonly<Record<string, string>>): {
  periods: GracePeriods;
  problems: string[];
} {
  const periods: GracePeriods = {};
  const problems: string[] = [];
  const names = new Set<string>([...SEVERITIES, "default"]);
  for (const [key, value] of Object.entries(settings)) {
    if (!key.startsWith("grace_")) continue;
    const severity = key.slice("grace_".length);
    if (!names.has(severity)) {
      problems.push(`${key}: no such severity (use grace_${[...names].join(", grace_")})`);
      continue;
    }
    const ms = parseGraceDuration(value);
    if (ms === undefined) {
      problems.push(`${key} = ${value}: not a duration (write days, or 12h, 30m)`);
      continue;
    }
    periods[severity as Severity | "default"] = ms;
  }
  return { periods, problems };
}

/** The severity order, lowest first, for picking the worst severity of a finding. */
const RANK = new Map<string, number>(SEVERITIES.map((s, i) => [s, i]));

/**
 * The findings that make the decision fail (rows whose effective action is STOP), each with the severity of
 * its vulnerability (the worst, when the id names several) or `default` for rows of other gates.
 */
export function failingFindings(decision: DecisionV1, facts: ImageFacts): FailingFinding[] {
  const byId = new Map<string, Severity>();
  for (const v of facts.vulnerabilities ?? []) {
    const known = byId.get(v.id);
    if (known === undefined || (RANK.get(v.severity) ?? 0) > (RANK.get(known) ?? 0))
      byId.set(v.id, v.severity);
  }
  const found = new Map<string, FailingFinding>();
  for (const row of decision.results) {
    if (row.effectiveAction !== "stop" || found.has(row.triggerId)) continue;
    const plus = row.triggerId.indexOf("+");
    const severity =
      row.gate === "vulnerabilities" && plus > 0 ? byId.get(row.triggerId.slice(0, plus)) : undefined;
    found.set(row.triggerId, {
      finding: row.triggerId,
      severity: severity ?? "default",
      message: row.message,
    });
  }
  return [...found.values()];
}

/** The grace period of a finding: its severity's, else `default`, else none (0). */
export function graceFor(periods: GracePeriods, severity: Severity | "default"): number {
  return periods[severity] ?? periods.default ?? 0;
}
