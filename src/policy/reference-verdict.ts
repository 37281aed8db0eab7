import type { DecisionV1, Problem } from "../model/index.js";
import type { CompiledBundle } from "./compile-bundle.js";

/**
 * When a decision made from the image reference alone already stops the image, whatever a registry or a
 * scanner would add: the decision narrowed to the rows of rules that read only the reference (plus a note
 * saying the other rules were not evaluated). Undefined when nothing reference-only stops it, so the caller
 * must gather the rest. Lets admission deny `latest` or a foreign registry with every registry unreachable.
 */
export function referenceOnlyStop(bundle: CompiledBundle, decision: DecisionV1): DecisionV1 | undefined {
  const referenceRules = referenceOnlyRuleKeys(bundle);
  const rows = decision.results.filter((row) =>
    referenceRules.has(ruleKey(row.policyId, row.ruleId, row.gate, row.trigger)),
  );
  const stops = rows.filter((row) => row.effectiveAction === "stop");
  const deniedByName = decision.reason === "denylisted" && decision.deniedImage?.image.type === "tag";
  if (stops.length === 0 && !deniedByName) return undefined;
  const note: Problem = {
    level: "info",
    code: "CIP_RULE_NO_DATA",
    message:
      "Decided from the image reference alone: rules that read the image's configuration or scan data were not evaluated, as they could not change the outcome",
  };
  return {
    ...decision,
    status: "fail",
    finalAction: "stop",
    results: rows,
    problems: [note, ...decision.problems.filter((p) => p.code !== "CIP_RULE_NO_DATA")],
  };
}

const cache = new WeakMap<CompiledBundle, ReadonlySet<string>>();

function referenceOnlyRuleKeys(bundle: CompiledBundle): ReadonlySet<string> {
  const known = cache.get(bundle);
  if (known) return known;
  const keys = new Set<string>();
  const others = new Set<string>();
  for (const [policyId, policy] of bundle.policies) {
    for (const group of policy.gateGroups) {
      for (const rule of group.rules) {
        const key = ruleKey(policyId, rule.rule.id, group.gate.name, rule.trigger.name);
        (rule.needs.every((need) => need === "reference") ? keys : others).add(key);
      }
    }
  }
  // Rules without ids may share a key: only a key that no data-reading rule has counts
  for (const key of others) keys.delete(key);
  cache.set(bundle, keys);
  return keys;
}

function ruleKey(policyId: string, ruleId: string | undefined, gate: string, trigger: string): string {
  return `${policyId}\u0000${ruleId ?? ""}\u0000${gate}\u0000${trigger}`;
}
