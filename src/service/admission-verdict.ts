import { terminalLine } from "../model/terminal-safe.js";
import { nameSelectorMatch } from "../policy/wildcard.js";
import type { Assessment } from "./assess-image.js";

/**
 * What an unknown outcome does in a namespace: `closed` denies it (the default); `open` allows it with a
 * warning; `warn` is audit mode, where nothing is denied and failures and unknowns become warnings.
 */
export type FailMode = "closed" | "open" | "warn";

/** A fail mode for the namespaces matching any of the patterns (wildcards, any case). */
export interface FailModeRule {
  namespaces: string[];
  mode: FailMode;
}

/** The verdict about one image in one namespace, after the fail mode. */
export interface ImageVerdict {
  image: string;
  allowed: boolean;
  /** Why it is denied: the rows that stopped it, or why it could not be decided. */
  denial?: string;
  warnings: string[];
  mode: FailMode;
}

/** The answer to a whole admission request: allowed only when every image is. */
export interface AdmissionVerdict {
  allowed: boolean;
  /** Names each denied image and what denied it. */
  message?: string;
  warnings: string[];
}

/** The fail mode of a namespace: the first rule whose pattern matches it, else the default. */
export function failModeFor(
  namespace: string | undefined,
  rules: readonly FailModeRule[],
  fallback: FailMode,
): FailMode {
  if (namespace === undefined) return fallback;
  for (const rule of rules) {
    if (rule.namespaces.some((pattern) => nameSelectorMatch(pattern, namespace))) return rule.mode;
  }
  return fallback;
}

// Rows beyond these are counted, not listed: the API server shows the message to a person
const MAX_ROWS_PER_IMAGE = 5;

// A cached assessment is one object answered many times: its verdict per mode is made once
const verdicts = new WeakMap<Assessment, Partial<Record<FailMode, ImageVerdict>>>();

/** Applies a fail mode to an assessment: allowed or not, why, and the warnings to return. */
export function verdictFor(assessment: Assessment, mode: FailMode): ImageVerdict {
  let byMode = verdicts.get(assessment);
  if (byMode === undefined) {
    byMode = {};
    verdicts.set(assessment, byMode);
  }
  byMode[mode] ??= makeVerdict(assessment, mode);
  return byMode[mode];
}

function makeVerdict(assessment: Assessment, mode: FailMode): ImageVerdict {
  const image = terminalLine(assessment.image);
  const warnings = warnRows(assessment).map((row) => `${image}: ${row}`);
  if (assessment.outcome === "pass") return { image: assessment.image, allowed: true, warnings, mode };
  if (assessment.outcome === "fail") {
    const denial = `${image} is denied by policy: ${describeStops(assessment)}`;
    if (mode === "warn") {
      return {
        image: assessment.image,
        allowed: true,
        // The mode leads: the API server cuts long warnings at the end
        warnings: [
          `${image} allowed by fail mode warn, though the policy denies it: ${describeStops(assessment)}`,
          ...warnings,
        ],
        mode,
      };
    }
    return { image: assessment.image, allowed: false, denial, warnings, mode };
  }
  const reason = terminalLine(assessment.reason ?? "unknown reason");
  if (mode === "closed")
    return {
      image: assessment.image,
      allowed: false,
      denial: `${image} denied by fail mode closed: it cannot be decided: ${reason}`,
      warnings,
      mode,
    };
  return {
    image: assessment.image,
    allowed: true,
    warnings: [`${image} allowed by fail mode ${mode} without a decision: ${reason}`, ...warnings],
    mode,
  };
}

/** Combines the verdicts of every image of a request into one answer. */
export function admissionVerdict(verdicts: readonly ImageVerdict[]): AdmissionVerdict {
  const denied = verdicts.filter((v) => !v.allowed);
  const warnings = verdicts.flatMap((v) => v.warnings);
  if (denied.length === 0) return { allowed: true, warnings };
  return { allowed: false, message: denied.map((v) => v.denial).join("; "), warnings };
}

function describeStops(assessment: Assessment): string {
  const rows = assessment.decisions.flatMap((d) =>
    d.results
      .filter((r) => r.effectiveAction === "stop")
      .map((r) => `${r.gate}/${r.trigger}: ${terminalLine(r.message)}`),
  );
  const denied = assessment.decisions.find((d) => d.reason === "denylisted");
  if (rows.length === 0) {
    if (denied)
      return `the image is on the bundle's denied list${denied.deniedImage?.name ? ` (${denied.deniedImage.name})` : ""}`;
    // A failure before any evaluation (a reference that cannot be parsed) carries its reason
    if (assessment.reason) return terminalLine(assessment.reason);
    return "the policy's final action is stop";
  }
  const shown = rows.slice(0, MAX_ROWS_PER_IMAGE).join(", ");
  return rows.length > MAX_ROWS_PER_IMAGE ? `${shown} and ${rows.length - MAX_ROWS_PER_IMAGE} more` : shown;
}

function warnRows(assessment: Assessment): string[] {
  const rows = assessment.decisions.flatMap((d) =>
    d.results
      .filter((r) => r.effectiveAction === "warn")
      .map((r) => `WARN ${r.gate}/${r.trigger}: ${terminalLine(r.message)}`),
  );
  if (rows.length <= MAX_ROWS_PER_IMAGE) return rows;
  return [...rows.slice(0, MAX_ROWS_PER_IMAGE), `${rows.length - MAX_ROWS_PER_IMAGE} more WARN results`];
}
