import type { Problem } from "../model/index.js";

/** What a problem is about, as short phrases (`policy p1`, `rule r2`, `gate files`); the document path is apart. */
export function problemSubjects(p: Problem): string[] {
  return [
    p.mappingId && `mapping ${p.mappingId}`,
    p.policyId && `policy ${p.policyId}`,
    p.ruleId && `rule ${p.ruleId}`,
    p.gate && `gate ${p.gate}`,
    p.trigger && `trigger ${p.trigger}`,
    p.param && `param ${p.param}`,
    p.allowlistId && `allowlist ${p.allowlistId}`,
    p.itemId && `item ${p.itemId}`,
  ].filter((x): x is string => typeof x === "string" && x !== "");
}
