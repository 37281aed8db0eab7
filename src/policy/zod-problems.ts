import type { z } from "zod";
import { describeSchemaIssue, formatIssuePath, type Problem } from "../model/index.js";

/**
 * Turns schema issues into problems with a document path (`policies[0].rules[2].action`) and, when the
 * path is inside a policy or rule, the policy and rule ids.
 */
export function zodProblems(error: z.ZodError, document: unknown): Problem[] {
  return error.issues.map((issue) => {
    const where = formatIssuePath(issue.path);
    const ids = idsAlong(document, issue.path);
    const owner = [ids.policyId && `policy "${ids.policyId}"`, ids.ruleId && `rule "${ids.ruleId}"`]
      .filter(Boolean)
      .join(" ");
    return {
      level: "error",
      code: "CIP_BUNDLE_INVALID",
      message: `${where}${owner ? ` (${owner})` : ""}: ${describeSchemaIssue(issue)}`,
      path: where,
      ...ids,
    };
  });
}

function idsAlong(document: unknown, path: readonly PropertyKey[]): Pick<Problem, "policyId" | "ruleId"> {
  const at = (value: unknown, key: PropertyKey): unknown =>
    value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (path[0] !== "policies" || typeof path[1] !== "number") return {};
  const policy = at(at(document, "policies"), path[1]);
  const policyId = at(policy, "id");
  const result: Pick<Problem, "policyId" | "ruleId"> = typeof policyId === "string" ? { policyId } : {};
  if (path[2] === "rules" && typeof path[3] === "number") {
    const ruleId = at(at(at(policy, "rules"), path[3]), "id");
    if (typeof ruleId === "string") result.ruleId = ruleId;
  }
  return result;
}
