import type { Allowlist, AllowlistScope, Bundle, ImageRule, Mapping, Problem } from "../model/index.js";
import type { BundleDocument } from "./bundle-document.js";

type DocImageRule = NonNullable<BundleDocument["whitelisted_images"]>[number];
type DocAllowlist = NonNullable<BundleDocument["whitelists"]>[number];

/**
 * Folds anchore v1_0 names and CIPolicE aliases into one Bundle shape. Problems: a mapping with both or
 * neither of `policy_id`/`policy_ids` (as anchore-engine rejects).
 */
export function normalizeBundle(doc: BundleDocument): { bundle: Bundle; problems: Problem[] } {
  const problems: Problem[] = [];
  const mappings: Mapping[] = doc.mappings.map((m, index) => {
    const where = `mappings[${index}]`;
    if (m.policy_id !== undefined && m.policy_ids !== undefined) {
      problems.push(mappingProblem(m, where, "has both policy_id and policy_ids; use one of them"));
    } else if (m.policy_id === undefined && m.policy_ids === undefined) {
      problems.push(
        mappingProblem(m, where, "has neither policy_id nor policy_ids; name the policies it applies"),
      );
    }
    return {
      ...imageRule(m),
      policyIds: m.policy_ids ?? (m.policy_id !== undefined ? [m.policy_id] : []),
      allowlistIds: [...(m.whitelist_ids ?? []), ...(m.allowlist_ids ?? [])],
      ...(m.namespaces ? { namespaces: m.namespaces } : {}),
      ...(m.environments ? { environments: m.environments } : {}),
      ...(m.namespace_labels ? { namespaceLabels: m.namespace_labels } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {}),
      ...(m.comment ? { comment: m.comment } : {}),
    };
  });
  const bundle: Bundle = {
    id: doc.id,
    ...(doc.name !== undefined ? { name: doc.name } : {}),
    version: doc.version,
    ...(doc.comment !== undefined ? { comment: doc.comment } : {}),
    policies: doc.policies.map((p) => ({
      id: p.id,
      ...(p.name !== undefined ? { name: p.name } : {}),
      version: p.version,
      ...(p.comment !== undefined ? { comment: p.comment } : {}),
      rules: p.rules.map((r) => ({
        ...(r.id !== undefined ? { id: r.id } : {}),
        gate: r.gate,
        trigger: r.trigger,
        action: r.action,
        params: r.params,
      })),
    })),
    allowlists: [...(doc.whitelists ?? []), ...(doc.allowlists ?? [])].map(allowlist),
    mappings,
    allowedImages: [...(doc.whitelisted_images ?? []), ...(doc.allowed_images ?? [])].map(imageRule),
    deniedImages: [...(doc.blacklisted_images ?? []), ...(doc.denied_images ?? [])].map(imageRule),
  };
  return { bundle, problems };
}

function imageRule(r: DocImageRule): ImageRule {
  return {
    ...(r.id !== undefined ? { id: r.id } : {}),
    ...(r.name !== undefined ? { name: r.name } : {}),
    registry: r.registry,
    repository: r.repository,
    image: { type: r.image.type, value: r.image.value },
  };
}

function allowlist(a: DocAllowlist): Allowlist {
  return {
    id: a.id,
    ...(a.name !== undefined ? { name: a.name } : {}),
    version: a.version,
    ...(a.comment !== undefined ? { comment: a.comment } : {}),
    items: a.items.map((i) => ({
      id: i.id,
      gate: i.gate,
      triggerId: i.trigger_id,
      ...(i.expires_on !== undefined ? { expiresOn: i.expires_on } : {}),
      ...(i.reason !== undefined ? { reason: i.reason } : {}),
      ...(i.owner !== undefined ? { owner: i.owner } : {}),
      ...(i.ticket !== undefined ? { ticket: i.ticket } : {}),
      ...(i.scope !== undefined ? { scope: scope(i.scope) } : {}),
      ...(i.comment !== undefined ? { comment: i.comment } : {}),
    })),
  };
}

// The document's snake_case selectors become the model's camelCase; a scope without them stays as written
function scope(s: NonNullable<DocAllowlist["items"][number]["scope"]>): AllowlistScope {
  const { namespace_labels, ...rest } = s;
  return { ...rest, ...(namespace_labels !== undefined ? { namespaceLabels: namespace_labels } : {}) };
}

function mappingProblem(m: { id?: string; name?: string }, path: string, what: string): Problem {
  return {
    level: "error",
    code: "CIP_BUNDLE_INVALID",
    message: `mapping ${describe(m)} ${what}`,
    ...(m.id !== undefined ? { mappingId: m.id } : {}),
    path,
  };
}

/** A short human name for an entity: `"name" (id)`, or whichever of the two exists. */
export function describe(e: { id?: string; name?: string }): string {
  if (e.name && e.id && e.name !== e.id) return `"${e.name}" (${e.id})`;
  if (e.id) return `"${e.id}"`;
  if (e.name) return `"${e.name}"`;
  return "(no id)";
}
