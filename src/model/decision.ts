import type { Action } from "./action.js";
import type { VexAssessment } from "./facts.js";

/** Why the final action is what it is. */
export type DecisionReason =
  | "policy_evaluation"
  | "denylisted"
  | "allowlisted"
  | "no_mapping"
  | "bundle_invalid";

/** The allowlist item that suppressed a result. */
export interface AllowlistMatch {
  allowlistId: string;
  allowlistName?: string;
  itemId: string;
  /** The item's trigger id pattern. */
  pattern: string;
  reason?: string;
  owner?: string;
  ticket?: string;
  expiresOn?: string;
}

/** One trigger hit (or one trigger that could not be evaluated). */
export interface ResultRow {
  policyId: string;
  policyName?: string;
  ruleId?: string;
  gate: string;
  trigger: string;
  triggerId: string;
  message: string;
  /** The action the rule asks for. */
  action: Action;
  /** The action that counts: go when allowlisted, warn when the trigger failed (as anchore-engine). */
  effectiveAction: Action;
  status: "fired" | "error";
  /** Error code when status is error. */
  errorCode?: string;
  allowlisted?: AllowlistMatch;
  /** The VEX statement about the finding; `not_affected` and `fixed` suppress the hit (effective action go). */
  vex?: VexAssessment;
}

/** Something the evaluation noticed that is not a trigger hit: expired allowlist items, retired gates, errors. */
export interface Problem {
  level: "error" | "warning" | "info";
  code: string;
  message: string;
  policyId?: string;
  ruleId?: string;
  gate?: string;
  trigger?: string;
  param?: string;
  allowlistId?: string;
  itemId?: string;
  mappingId?: string;
  /** Path inside the document (`policies[0].rules[3].params[1]`). */
  path?: string;
}

/** Reference to an image rule (allowed or denied images) that matched. */
export interface ImageRuleMatch {
  id?: string;
  name?: string;
  registry: string;
  repository: string;
  image: { type: string; value: string };
}

/** The versioned decision: at once the API answer, the decision-log event and the report input. */
export interface DecisionV1 {
  schemaVersion: "1";
  decisionId: string;
  image: {
    /**
     * Canonical reference (`docker.io/library/nginx:latest`). For an image known only by its digest, `ref` is
     * `@sha256:…` and `registry` and `repository` are empty.
     */
    ref: string;
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
    imageId?: string;
  };
  bundle: { id: string; name?: string; digest: string };
  mapping: { id?: string; name?: string; index: number } | null;
  policies: { id: string; name?: string }[];
  finalAction: Action;
  /** The policy result before the allowed/denied image lists (anchore's table final_action). */
  policyAction: Action;
  status: "pass" | "fail";
  reason: DecisionReason;
  allowedImage?: ImageRuleMatch;
  deniedImage?: ImageRuleMatch;
  results: ResultRow[];
  problems: Problem[];
  evaluatedAt: string;
}
