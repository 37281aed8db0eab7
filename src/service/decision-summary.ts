import type { Severity } from "../model/index.js";
import type { Assessment } from "./assess-image.js";

/**
 * The policy decision as a rules message carries it (`decision.status`, `decision.final_action`, counts), in
 * the snake_case of CIPolicE's messages so conditions read like the rest of the message:
 * `decision.status == "fail" and decision.counts.critical > 0`.
 */
export interface DecisionSummary {
  /** `pass`, `fail` or `unknown` (not decided: no scan data, registry unreachable). */
  status: "pass" | "fail" | "unknown";
  /** The strictest final action of the bundles (`stop`, `warn`, `go`); absent when unknown. */
  final_action?: "stop" | "warn" | "go";
  /** Why the status is unknown, or which rule action set it. */
  reason?: string;
  decision_id?: string;
  bundle?: string;
  digest?: string;
  /** Vulnerabilities by severity, when vulnerability data was read. */
  counts?: Record<Severity, number>;
  /** Result rows by the action that counts (`stop`, `warn`, `go`). */
  actions: { stop: number; warn: number; go: number };
}

const ACTION_RANK = { go: 0, warn: 1, stop: 2 } as const;

/** Summarizes an assessment for the rules (every bundle's rows counted; the strictest final action). */
export function decisionSummary(assessment: Assessment): DecisionSummary {
  const actions = { stop: 0, warn: 0, go: 0 };
  let finalAction: DecisionSummary["final_action"];
  for (const decision of assessment.decisions) {
    for (const row of decision.results) actions[row.effectiveAction]++;
    if (finalAction === undefined || ACTION_RANK[decision.finalAction] > ACTION_RANK[finalAction])
      finalAction = decision.finalAction;
  }
  const first = assessment.decisions[0];
  return {
    status: assessment.outcome,
    ...(finalAction !== undefined ? { final_action: finalAction } : {}),
    ...(assessment.reason !== undefined ? { reason: assessment.reason } : {}),
    ...(first !== undefined
      ? { decision_id: first.decisionId, bundle: first.bundle.name ?? first.bundle.id }
      : {}),
    ...(assessment.digest !== undefined ? { digest: assessment.digest } : {}),
    ...(assessment.findings !== undefined ? { counts: assessment.findings } : {}),
    actions,
  };
}
