import type { DecisionV1, ResultRow } from "../model/index.js";
import { terminalSafeJson } from "../model/terminal-safe.js";
import { vexSuppressed } from "./vex-suppressed.js";

/** anchore-engine's evaluation table columns, in its order. */
export const ANCHORE_TABLE_HEADER = [
  "Image_Id",
  "Repo_Tag",
  "Trigger_Id",
  "Gate",
  "Trigger",
  "Check_Output",
  "Gate_Action",
  "Whitelisted",
  "Policy_Id",
] as const;

/**
 * The decision in anchore-engine's policy evaluation shape (`GET /images/{digest}/check?detail=true`):
 * `[{ digest: { tag: [{ detail: { result: {… result: { imageId: { result: { header, rows, … }}}}}, status }]}}]`,
 * so tools that read anchore's evaluations read ours.
 */
export function formatAnchore(decision: DecisionV1): string {
  const imageId = (decision.image.imageId ?? decision.image.digest ?? "").replace(/^sha256:/, "");
  const digest = decision.image.digest ?? "";
  const tag = anchoreTag(decision.image);
  const rows = decision.results.map((r) => row(imageId, tag, r));
  const table = {
    [imageId]: {
      result: {
        final_action: decision.policyAction,
        header: [...ANCHORE_TABLE_HEADER],
        row_count: rows.length,
        rows,
      },
    },
    policy_data: [],
    policy_name: "",
    whitelist_data: [],
    whitelist_names: [],
  };
  const evaluation = {
    detail: {
      result: {
        bundle: { id: decision.bundle.id, name: decision.bundle.name ?? "", digest: decision.bundle.digest },
        evaluation_problems: decision.problems
          .filter((p) => p.level !== "info")
          .map((p) => ({ problem_type: p.code, severity: p.level, details: p.message })),
        final_action: decision.finalAction,
        final_action_reason: anchoreReason(decision),
        image_digest: digest,
        image_id: imageId,
        matched_blacklisted_images_rule: decision.deniedImage ?? false,
        matched_mapping_rule: decision.mapping ?? false,
        matched_whitelisted_images_rule: decision.allowedImage ?? false,
        result: table,
        status: decision.status,
        tag,
      },
    },
    last_evaluation: decision.evaluatedAt.replace(/\.\d{3}Z$/, "Z"),
    policyId: decision.bundle.id,
    status: decision.status,
  };
  return terminalSafeJson(`${JSON.stringify([{ [digest]: { [tag]: [evaluation] } }], null, 2)}\n`);
}

function row(imageId: string, tag: string, r: ResultRow): unknown[] {
  const whitelisted = r.allowlisted
    ? {
        whitelist_name: r.allowlisted.allowlistName ?? r.allowlisted.allowlistId,
        whitelist_id: r.allowlisted.allowlistId,
        matched_rule_id: r.allowlisted.itemId,
      }
    : vexSuppressed(r)
      ? { whitelist_name: "VEX", whitelist_id: r.vex?.document ?? "vex", matched_rule_id: r.vex?.status }
      : false;
  return [
    imageId,
    tag,
    r.triggerId,
    r.gate,
    r.trigger,
    r.message,
    r.effectiveAction,
    whitelisted,
    r.policyId,
  ];
}

/** The tag as anchore-engine prints it: `registry/repository:tag`, no digest (the digest has its own keys). */
function anchoreTag(image: DecisionV1["image"]): string {
  return image.tag === undefined ? image.ref : `${image.registry}/${image.repository}:${image.tag}`;
}

function anchoreReason(decision: DecisionV1): string {
  if (decision.reason === "denylisted") return "blacklisted";
  if (decision.reason === "allowlisted") return "whitelisted";
  return "policy_evaluation";
}
