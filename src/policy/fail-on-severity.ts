import { type ImageFacts, type Problem, type Severity, severityRank } from "../model/index.js";
import { type CompiledAllowlist, lookupAllowlists, scopeContext } from "./allowlist.js";
import { packageTriggerId } from "./gates/vulnerabilities.js";

/** Where a finding's suppression is looked up: the allowlists in force and the image's context. */
export interface SuppressionContext {
  lists: readonly CompiledAllowlist[];
  image: string;
  namespace?: string;
  namespaceLabels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  nowMs: number;
}

/**
 * Grype's `--fail-on`: counts the findings at or above `threshold` that nothing suppresses (no allowlist
 * item of the vulnerabilities gate matches their package trigger id, no VEX not_affected/fixed). Returns
 * whether the image fails and a problem saying why (or why there was nothing to check).
 */
export function severityThreshold(
  facts: ImageFacts,
  threshold: Severity,
  context: SuppressionContext,
): { failed: boolean; problem: Problem } {
  const flag = `--fail-on ${threshold}`;
  if (facts.vulnerabilities === undefined) {
    return {
      failed: false,
      problem: {
        level: "warning",
        code: "CIP_FAIL_ON_SEVERITY",
        message: `no vulnerability data, so ${flag} had no finding to check`,
      },
    };
  }
  const rank = severityRank(threshold);
  const hits: string[] = [];
  const gated = context.lists.some((l) => l.byGate.has("vulnerabilities"));
  for (const v of facts.vulnerabilities) {
    if (severityRank(v.severity) < rank) continue;
    if (v.vex && (v.vex.status === "not_affected" || v.vex.status === "fixed")) continue;
    if (gated) {
      const lookup = lookupAllowlists(context.lists, {
        gate: "vulnerabilities",
        triggerId: packageTriggerId(v),
        image: context.image,
        ...scopeContext(context),
        nowMs: context.nowMs,
      });
      if (lookup.match) continue;
    }
    hits.push(`${v.id} (${v.package.name} ${v.package.version}, ${v.severity})`);
  }
  if (hits.length === 0) {
    return {
      failed: false,
      problem: {
        level: "info",
        code: "CIP_FAIL_ON_SEVERITY",
        message: `no unsuppressed finding at or above ${threshold} (${flag})`,
      },
    };
  }
  const shown =
    hits.length <= 5 ? hits.join(", ") : `${hits.slice(0, 5).join(", ")} and ${hits.length - 5} more`;
  return {
    failed: true,
    problem: {
      level: "error",
      code: "CIP_FAIL_ON_SEVERITY",
      message: `${hits.length} finding${hits.length === 1 ? "" : "s"} at or above ${threshold} (${flag}): ${shown}`,
    },
  };
}
