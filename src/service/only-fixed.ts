import type { ImageFacts, Problem, Vulnerability } from "../model/index.js";

/** True when a fix is known: fix state fixed, or a fixed-in version given. */
export function hasFix(v: Vulnerability): boolean {
  return v.fix.state === "fixed" || v.fix.versions.length > 0;
}

/**
 * Grype's `--only-fixed` and Trivy's `--ignore-unfixed`: leaves out the findings without a fix, with a note
 * saying how many were left out (none when nothing was).
 */
export function leaveOutUnfixed(facts: ImageFacts): { facts: ImageFacts; note?: Problem } {
  const all = facts.vulnerabilities;
  if (!all) return { facts };
  const kept = all.filter(hasFix);
  const left = all.length - kept.length;
  return {
    facts: left > 0 ? { ...facts, vulnerabilities: kept } : facts,
    note: {
      level: "info",
      code: "CIP_UNFIXED_LEFT_OUT",
      message: `${left} of ${all.length} findings have no fix and were left out of the evaluation (--only-fixed / --ignore-unfixed)`,
    },
  };
}
