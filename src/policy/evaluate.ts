import { createHash } from "node:crypto";
import {
  type Action,
  type DecisionV1,
  type ImageFacts,
  type ImageRule,
  type ImageRuleMatch,
  isCipError,
  type Problem,
  type ResultRow,
  type Severity,
  type VexAssessment,
  worstAction,
} from "../model/index.js";
import {
  type AllowlistLookup,
  type CompiledAllowlist,
  lookupAllowlists,
  scopeContext,
  unusedAllowlistNotes,
} from "./allowlist.js";
import type { CompiledBundle, CompiledPolicy } from "./compile-bundle.js";
import { severityThreshold } from "./fail-on-severity.js";
import type { GateSpec } from "./gate-types.js";
import { firstMatchingMapping, imageRuleMatches, type MatchTarget } from "./image-match.js";
import { describe } from "./normalize-bundle.js";
import { runTriggerInto } from "./run-trigger.js";

/** Inputs of one evaluation besides the bundle and the facts. */
export interface EvaluateOptions {
  /** Evaluation time; the engine never reads the clock. */
  now: Date;
  /** Canonical reference of the image (`docker.io/library/nginx:latest`). */
  imageRef: string;
  /** Decision id; by default derived from bundle digest, image and time. */
  decisionId?: string;
  /** Allowlist items expiring within this many days produce a warning. Default 14. */
  expiryWarningDays?: number;
  /** Problems found before evaluation (ingestion notes); they lead the decision's problems. */
  notes?: Problem[];
  /** Allowlists from outside the bundle (ignore files), applied after the mapping's own. */
  extraAllowlists?: readonly CompiledAllowlist[];
  /** Fail (status fail) when a finding at or above this severity is present and not suppressed. */
  failOnSeverity?: Severity;
}

const DAY_MS = 86_400_000;

// VEX statuses that say the finding does not apply to this image.
const VEX_SUPPRESSES: ReadonlySet<VexAssessment["status"]> = new Set(["not_affected", "fixed"]);

/**
 * Evaluates a compiled bundle against the facts of one image and returns the decision, following
 * anchore-engine: the first matching mapping selects policies and allowlists; each policy's action is the
 * worst of its non-allowlisted hits; a denied image stops, an allowed image goes, else the policy action.
 */
export function evaluate(compiled: CompiledBundle, facts: ImageFacts, options: EvaluateOptions): DecisionV1 {
  const nowMs = options.now.getTime();
  const target: MatchTarget = {
    registry: facts.ref.registry,
    repository: facts.ref.repository,
    ...(facts.ref.tag !== undefined ? { tag: facts.ref.tag } : {}),
    ...((facts.ref.digest ?? facts.digest) !== undefined ? { digest: facts.ref.digest ?? facts.digest } : {}),
    ...(facts.imageId !== undefined ? { imageId: facts.imageId } : {}),
  };
  const context = facts.context ?? {};
  // What allowlist item scopes read of the context, built once for every hit
  const scopes = scopeContext(context);
  const { bundle } = compiled;
  const problems: Problem[] = [];
  const results: ResultRow[] = [];
  const found = firstMatchingMapping(bundle.mappings, target, context);
  const policyActions: Action[] = [];
  // The mapping's allowlists, then those from ignore files: hits and --fail-on look in both
  const bundleLists = found
    ? found.mapping.allowlistIds.flatMap((id) => compiled.allowlists.get(id) ?? [])
    : [];
  const lists = [...bundleLists, ...(options.extraAllowlists ?? [])];

  if (found) {
    const { mapping } = found;
    const allowlistedGates = new Set(lists.flatMap((l) => [...l.byGate.keys()]));
    const gateData = new Map<GateSpec, { data?: unknown; error?: Error }>();
    const expiredSeen = new Set<string>();
    const used = new Set<string>();
    for (const policyId of mapping.policyIds) {
      const policy = compiled.policies.get(policyId);
      if (!policy) continue;
      const rows = evaluatePolicy(policy, facts, options.now, gateData, problems, compiled.digest);
      let policyAction: Action = "go";
      for (const row of rows) {
        if (row.status === "fired" && allowlistedGates.has(row.gate)) {
          const lookup = lookupAllowlists(lists, {
            gate: row.gate,
            triggerId: row.triggerId,
            image: options.imageRef,
            ...scopes,
            nowMs,
          });
          noteExpired(lookup, row, expiredSeen, problems);
          if (lookup.match) {
            used.add(`${lookup.match.allowlistId}\u0000${lookup.match.itemId}`);
            row.allowlisted = lookup.match;
            row.effectiveAction = "go";
          }
        }
        policyAction = worstAction(policyAction, row.effectiveAction);
        results.push(row);
      }
      policyActions.push(policyAction);
    }
    noteExpiringSoon(results, nowMs, options.expiryWarningDays ?? 14, problems);
    problems.push(...unusedAllowlistNotes(bundleLists, used, expiredSeen));
  } else {
    problems.push({
      level: "info",
      code: "CIP_NO_MAPPING",
      message: `no mapping of bundle ${describe(bundle)} selects ${options.imageRef}; no policy was evaluated`,
    });
  }

  const policyAction = policyActions.reduce<Action>((a, b) => worstAction(a, b), "go");
  const denied = firstImageRule(bundle.deniedImages, target);
  const allowed = firstImageRule(bundle.allowedImages, target);
  const finalAction: Action = denied ? "stop" : allowed ? "go" : policyAction;
  const severityFailure =
    options.failOnSeverity !== undefined
      ? severityThreshold(facts, options.failOnSeverity, {
          lists,
          image: options.imageRef,
          ...scopes,
          nowMs,
        })
      : undefined;
  if (severityFailure) problems.push(severityFailure.problem);
  const reason = denied ? "denylisted" : allowed ? "allowlisted" : found ? "policy_evaluation" : "no_mapping";
  const evaluatedAt = options.now.toISOString();
  return {
    schemaVersion: "1",
    decisionId: options.decisionId ?? deriveDecisionId(compiled.digest, options.imageRef, evaluatedAt),
    image: {
      ref: options.imageRef,
      registry: facts.ref.registry,
      repository: facts.ref.repository,
      ...(facts.ref.tag !== undefined ? { tag: facts.ref.tag } : {}),
      ...(target.digest !== undefined ? { digest: target.digest } : {}),
      ...(facts.imageId !== undefined ? { imageId: facts.imageId } : {}),
    },
    bundle: {
      id: bundle.id,
      ...(bundle.name !== undefined ? { name: bundle.name } : {}),
      digest: compiled.digest,
    },
    mapping: found
      ? {
          ...(found.mapping.id !== undefined ? { id: found.mapping.id } : {}),
          ...(found.mapping.name !== undefined ? { name: found.mapping.name } : {}),
          index: found.index,
        }
      : null,
    policies: found
      ? found.mapping.policyIds.map((id) => {
          const p = compiled.policies.get(id)?.policy;
          return { id, ...(p?.name !== undefined ? { name: p.name } : {}) };
        })
      : [],
    finalAction,
    policyAction,
    status: finalAction === "stop" || severityFailure?.failed ? "fail" : "pass",
    reason,
    ...(allowed ? { allowedImage: imageRuleMatch(allowed) } : {}),
    ...(denied ? { deniedImage: imageRuleMatch(denied) } : {}),
    results,
    problems: [...(options.notes ?? []), ...compiled.warnings, ...problems],
    evaluatedAt,
  };
}

function evaluatePolicy(
  compiled: CompiledPolicy,
  facts: ImageFacts,
  now: Date,
  gateData: Map<GateSpec, { data?: unknown; error?: Error }>,
  problems: Problem[],
  bundleDigest: string,
): ResultRow[] {
  const { policy } = compiled;
  const rows: ResultRow[] = [];
  for (const { gate, rules } of compiled.gateGroups) {
    let prepared = gateData.get(gate);
    if (!prepared) {
      try {
        prepared = { data: gate.prepare ? gate.prepare(facts, now) : undefined };
      } catch (error) {
        prepared = { error: asError(error) };
      }
      gateData.set(gate, prepared);
    }
    for (const rule of rules) {
      const ruleId = rule.rule.id;
      const action = rule.action;
      const trigger = rule.trigger.name;
      // Every row is built with the same properties in the same order: one object shape keeps the later passes fast.
      const emit = (
        triggerId: string,
        message: string,
        vex?: VexAssessment,
        status: ResultRow["status"] = "fired",
        errorCode: string | undefined = undefined,
      ) => {
        rows.push({
          policyId: policy.id,
          policyName: policy.name,
          ruleId,
          gate: gate.name,
          trigger,
          triggerId,
          message,
          action,
          effectiveAction:
            status !== "fired" ? "warn" : vex && VEX_SUPPRESSES.has(vex.status) ? "go" : action,
          status,
          errorCode,
          allowlisted: undefined,
          vex,
        });
      };
      try {
        if (prepared.error) throw prepared.error;
        let saidNoData = false;
        const noData = (reason: string) => {
          if (saidNoData) return;
          saidNoData = true;
          problems.push({
            level: "info",
            code: "CIP_RULE_NO_DATA",
            message: `rule ${ruleId ?? "(no id)"} (${gate.name}/${trigger}) had no data to decide on: ${reason}`,
            policyId: policy.id,
            ...(ruleId !== undefined ? { ruleId } : {}),
            gate: gate.name,
            trigger,
          });
        };
        runTriggerInto(
          gate,
          rule.trigger,
          rule.evaluator,
          facts,
          prepared.data,
          now,
          ruleId,
          emit,
          noData,
          bundleDigest,
        );
      } catch (error) {
        const message = `Cannot evaluate ${gate.name}/${trigger}: ${asError(error).message}`;
        // A CipError says what failed (a spent expression budget, a refused pattern); any other error is the trigger's.
        const code = isCipError(error) ? error.code : "CIP_TRIGGER_ERROR";
        // anchore-engine maps a rule that failed to evaluate to WARN.
        emit("evaluation_error", message, undefined, "error", code);
        problems.push({
          level: "error",
          code,
          message,
          policyId: policy.id,
          ...(ruleId !== undefined ? { ruleId } : {}),
          gate: gate.name,
          trigger,
        });
      }
    }
  }
  for (const { rule } of compiled.retired) {
    problems.push({
      level: "error",
      code: "CIP_GATE_RETIRED",
      message: `policy ${describe(policy)} rule ${rule.id ? `"${rule.id}"` : ""} uses retired gate "${rule.gate}"; it was not evaluated`,
      policyId: policy.id,
      ...(rule.id !== undefined ? { ruleId: rule.id } : {}),
      gate: rule.gate,
      trigger: rule.trigger,
    });
  }
  return rows;
}

function noteExpired(lookup: AllowlistLookup, row: ResultRow, seen: Set<string>, problems: Problem[]): void {
  for (const { allowlist, item } of lookup.expired) {
    const key = `${allowlist.id}\u0000${item.id}\u0000${row.triggerId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({
      level: "warning",
      code: "CIP_ALLOWLIST_EXPIRED",
      message: `allowlist ${describe(allowlist)} item "${item.id}" expired on ${item.expiresOn}; it no longer suppresses ${row.gate} ${row.triggerId}`,
      allowlistId: allowlist.id,
      itemId: item.id,
      gate: row.gate,
    });
  }
}

function noteExpiringSoon(rows: ResultRow[], nowMs: number, days: number, problems: Problem[]): void {
  const seen = new Set<string>();
  for (const row of rows) {
    const match = row.allowlisted;
    if (!match?.expiresOn) continue;
    const left = Date.parse(match.expiresOn) - nowMs;
    const key = `${match.allowlistId}\u0000${match.itemId}`;
    if (left > days * DAY_MS || seen.has(key)) continue;
    seen.add(key);
    problems.push({
      level: "warning",
      code: "CIP_ALLOWLIST_EXPIRING",
      message: `allowlist "${match.allowlistId}" item "${match.itemId}" expires on ${match.expiresOn} (in ${Math.max(0, Math.ceil(left / DAY_MS))} days); renew it or fix what it suppresses`,
      allowlistId: match.allowlistId,
      itemId: match.itemId,
    });
  }
}

function firstImageRule(rules: readonly ImageRule[], target: MatchTarget): ImageRule | undefined {
  return rules.find((r) => imageRuleMatches(r, target));
}

function imageRuleMatch(rule: ImageRule): ImageRuleMatch {
  return {
    ...(rule.id !== undefined ? { id: rule.id } : {}),
    ...(rule.name !== undefined ? { name: rule.name } : {}),
    registry: rule.registry,
    repository: rule.repository,
    image: { ...rule.image },
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function deriveDecisionId(bundleDigest: string, image: string, at: string): string {
  const h = createHash("sha256").update(`${bundleDigest}\u0000${image}\u0000${at}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
