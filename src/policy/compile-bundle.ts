import { createHash } from "node:crypto";
import type { Action, Bundle, ImageRule, Policy, PolicyRule, Problem } from "../model/index.js";
import { type CompiledAllowlist, compileAllowlist } from "./allowlist.js";
import { bundleDocumentSchema } from "./bundle-document.js";
import { findGate, findTrigger, GATES, RETIRED_GATES, triggerNeeds } from "./catalog.js";
import { compileTrigger } from "./compile-trigger.js";
import type { DataNeed, DataNeeds, GateSpec, TriggerEvaluator, TriggerSpec } from "./gate-types.js";
import { addSelectorKeys } from "./map-selector.js";
import { describe, normalizeBundle } from "./normalize-bundle.js";
import { PythonRegexError, regexProblem } from "./python-regex.js";
import { compileWildcard } from "./wildcard.js";
import { zodProblems } from "./zod-problems.js";

/** A rule ready to run. */
export interface CompiledRule {
  policy: Policy;
  rule: PolicyRule;
  gate: GateSpec;
  trigger: TriggerSpec;
  action: Action;
  evaluator: TriggerEvaluator;
  /** The data the rule reads with its parameters (see DataNeed). */
  needs: DataNeeds;
}

/** A rule naming a retired anchore gate, kept (outside strict mode) only to be reported at evaluation. */
export interface RetiredRule {
  policy: Policy;
  rule: PolicyRule;
}

/** A policy ready to run: rules grouped by gate, gates in the order they first appear (as anchore-engine). */
export interface CompiledPolicy {
  policy: Policy;
  gateGroups: { gate: GateSpec; rules: CompiledRule[] }[];
  retired: RetiredRule[];
  /** The data its rules read, together (retired rules are not evaluated, so read nothing). */
  needs: ReadonlySet<DataNeed>;
}

/** A bundle compiled once, to evaluate many images. */
export interface CompiledBundle {
  bundle: Bundle;
  /** sha256 of the normalised bundle: identifies the policy a decision was made with. */
  digest: string;
  policies: Map<string, CompiledPolicy>;
  allowlists: Map<string, CompiledAllowlist>;
  /**
   * The data the policies of each mapping read, by the mapping's index in `bundle.mappings`: computed once
   * here so that admission can tell per request, cheaply, which lookups an image needs (see dataNeeds).
   */
  mappingNeeds: readonly ReadonlySet<DataNeed>[];
  /** Warnings found while compiling (retired gates outside strict mode, unknown allowlist gates). */
  warnings: Problem[];
  /**
   * The namespace label keys and annotation keys any mapping or allowlist scope selects on, sorted: a
   * decision cache keyed by context needs just these (empty lists: labels and annotations change nothing).
   */
  selectorKeys: SelectorKeys;
}

/** Label and annotation keys a bundle's selectors read. */
export interface SelectorKeys {
  namespaceLabels: readonly string[];
  annotations: readonly string[];
}

/** Options for compiling a bundle. */
export interface CompileOptions {
  /** Reject retired anchore gates (anchore's strict validation). Default true. */
  strict?: boolean;
}

/** The outcome of compiling: the compiled bundle when there is no error, and every problem found. */
export interface CompileResult {
  compiled?: CompiledBundle;
  problems: Problem[];
}

const SUPPORTED_VERSION = "1_0";

/**
 * Validates a parsed bundle document against the document schema and the gate catalog, and compiles it.
 * Every problem is collected, each naming the policy, rule, gate, trigger and parameter concerned.
 */
export function compileBundle(document: unknown, options: CompileOptions = {}): CompileResult {
  const strict = options.strict ?? true;
  const parsed = bundleDocumentSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) return { problems: zodProblems(parsed.error, document) };
  const { bundle, problems } = normalizeBundle(parsed.data);
  checkVersion(bundle.version, "bundle", "version", problems);
  checkDuplicates(bundle.policies, "policy", "policies", problems);
  checkDuplicates(bundle.allowlists, "allowlist", "whitelists", problems);

  const policies = new Map<string, CompiledPolicy>();
  bundle.policies.forEach((policy, index) => {
    checkVersion(policy.version, `policy ${describe(policy)}`, `policies[${index}].version`, problems);
    policies.set(policy.id, compilePolicy(policy, `policies[${index}]`, strict, problems));
  });

  const allowlists = new Map<string, CompiledAllowlist>();
  bundle.allowlists.forEach((list, index) => {
    const path = `whitelists[${index}]`;
    checkVersion(list.version, `allowlist ${describe(list)}`, `${path}.version`, problems);
    const { compiled, problems: listProblems } = compileAllowlist(list, path);
    problems.push(...listProblems);
    allowlists.set(list.id, compiled);
    list.items.forEach((item, i) => {
      if (!findGate(item.gate) && !RETIRED_GATES.includes(item.gate.toLowerCase())) {
        problems.push({
          level: "warning",
          code: "CIP_BUNDLE_INVALID",
          message: `allowlist ${describe(list)} item "${item.id}": gate "${item.gate}" is not a known gate, so the item can never match`,
          allowlistId: list.id,
          itemId: item.id,
          path: `${path}.items[${i}].gate`,
        });
      }
    });
  });

  bundle.mappings.forEach((mapping, index) => {
    checkImageRulePatterns(mapping, `mappings[${index}]`, `mapping ${describe(mapping)}`, problems);
    for (const [field, list] of [
      ["namespaces", mapping.namespaces],
      ["environments", mapping.environments],
    ] as const) {
      for (const [i, pattern] of (list ?? []).entries()) {
        checkPattern(pattern, `mappings[${index}].${field}[${i}]`, `mapping ${describe(mapping)}`, problems);
      }
    }
    checkSelectorMaps(mapping, `mappings[${index}]`, `mapping ${describe(mapping)}`, problems);
    for (const policyId of mapping.policyIds) {
      if (!policies.has(policyId)) {
        problems.push({
          level: "error",
          code: "CIP_BUNDLE_INVALID",
          message: `mapping ${describe(mapping)} names policy "${policyId}", which the bundle does not define (defined: ${listOrNone(bundle.policies.map((p) => p.id))})`,
          ...(mapping.id !== undefined ? { mappingId: mapping.id } : {}),
          policyId,
          path: `mappings[${index}]`,
        });
      }
    }
    for (const listId of mapping.allowlistIds) {
      if (!allowlists.has(listId)) {
        problems.push({
          level: "error",
          code: "CIP_BUNDLE_INVALID",
          message: `mapping ${describe(mapping)} names allowlist "${listId}", which the bundle does not define (defined: ${listOrNone(bundle.allowlists.map((a) => a.id))})`,
          ...(mapping.id !== undefined ? { mappingId: mapping.id } : {}),
          allowlistId: listId,
          path: `mappings[${index}]`,
        });
      }
    }
  });

  for (const [field, rules] of [
    ["whitelisted_images", bundle.allowedImages],
    ["blacklisted_images", bundle.deniedImages],
  ] as const) {
    for (const [i, rule] of rules.entries()) {
      checkImageRulePatterns(rule, `${field}[${i}]`, `${field} rule ${describe(rule)}`, problems);
    }
  }
  for (const [li, list] of bundle.allowlists.entries()) {
    for (const [ii, item] of list.items.entries()) {
      const where = `allowlist ${describe(list)} item "${item.id}"`;
      for (const [pi, pattern] of (item.scope?.images ?? []).entries()) {
        checkPattern(pattern, `whitelists[${li}].items[${ii}].scope.images[${pi}]`, where, problems);
      }
      for (const [pi, pattern] of (item.scope?.namespaces ?? []).entries()) {
        checkPattern(pattern, `whitelists[${li}].items[${ii}].scope.namespaces[${pi}]`, where, problems);
      }
      if (item.scope) checkSelectorMaps(item.scope, `whitelists[${li}].items[${ii}].scope`, where, problems);
    }
  }

  const errors = problems.filter((p) => p.level === "error");
  const warnings = problems.filter((p) => p.level !== "error");
  if (errors.length > 0) return { problems };
  const digest = `sha256:${createHash("sha256").update(JSON.stringify(bundle)).digest("hex")}`;
  const mappingNeeds = bundle.mappings.map((mapping) => {
    const needs = new Set<DataNeed>();
    for (const id of mapping.policyIds) for (const need of policies.get(id)?.needs ?? []) needs.add(need);
    return needs;
  });
  return {
    compiled: {
      bundle,
      digest,
      policies,
      allowlists,
      mappingNeeds,
      warnings,
      selectorKeys: selectorKeysOf(bundle),
    },
    problems,
  };
}

/** Every label and annotation key the mappings and allowlist scopes of a bundle name. */
function selectorKeysOf(bundle: Bundle): SelectorKeys {
  const labels = new Set<string>();
  const annotations = new Set<string>();
  const scopes = bundle.allowlists.flatMap((list) => list.items.flatMap((item) => item.scope ?? []));
  for (const selects of [...bundle.mappings, ...scopes]) {
    addSelectorKeys(selects.namespaceLabels, labels);
    addSelectorKeys(selects.annotations, annotations);
  }
  return { namespaceLabels: [...labels].sort(), annotations: [...annotations].sort() };
}

/** The value patterns of `namespace_labels` and `annotations` must compile like every other pattern. */
function checkSelectorMaps(
  selects: { namespaceLabels?: Record<string, string>; annotations?: Record<string, string> },
  path: string,
  what: string,
  problems: Problem[],
): void {
  for (const [field, map] of [
    ["namespace_labels", selects.namespaceLabels],
    ["annotations", selects.annotations],
  ] as const) {
    for (const [key, pattern] of Object.entries(map ?? {})) {
      checkPattern(pattern, `${path}.${field}.${key}`, what, problems);
    }
  }
}

function compilePolicy(policy: Policy, path: string, strict: boolean, problems: Problem[]): CompiledPolicy {
  const groups = new Map<GateSpec, CompiledRule[]>();
  const retired: RetiredRule[] = [];
  const needs = new Set<DataNeed>();
  policy.rules.forEach((rule, index) => {
    const where = {
      policyId: policy.id,
      ...(rule.id !== undefined ? { ruleId: rule.id } : {}),
      gate: rule.gate,
      trigger: rule.trigger,
    };
    const rulePath = `${path}.rules[${index}]`;
    const prefix = `policy ${describe(policy)} rule ${rule.id !== undefined ? `"${rule.id}"` : `#${index + 1}`} (${rule.gate}/${rule.trigger})`;
    const report = (message: string, extra: Partial<Problem> = {}, level: Problem["level"] = "error") =>
      problems.push({
        level,
        code: "CIP_BUNDLE_INVALID",
        message: `${prefix}: ${message}`,
        ...where,
        path: rulePath,
        ...extra,
      });

    const action = parseAction(rule.action);
    if (!action)
      report(`action ${JSON.stringify(rule.action)} is not valid (expected STOP, WARN or GO)`, {
        path: `${rulePath}.action`,
      });

    const gateName = rule.gate.toLowerCase();
    if (RETIRED_GATES.includes(gateName)) {
      if (strict) {
        report(
          `gate "${rule.gate}" was retired by anchore-engine and is not evaluated; replace it with a current gate`,
          {
            code: "CIP_GATE_RETIRED",
          },
        );
      } else {
        report(
          `gate "${rule.gate}" was retired by anchore-engine; the rule will not be evaluated`,
          { code: "CIP_GATE_RETIRED" },
          "warning",
        );
        retired.push({ policy, rule });
      }
      return;
    }
    const gate = findGate(gateName);
    if (!gate) {
      report(`unknown gate "${rule.gate}" (known gates: ${GATES.map((g) => g.name).join(", ")})`, {
        path: `${rulePath}.gate`,
      });
      return;
    }
    const trigger = findTrigger(gate, rule.trigger);
    if (!trigger) {
      report(
        `unknown trigger "${rule.trigger}" for gate ${gate.name} (known: ${gate.triggers.map((t) => t.name).join(", ")})`,
        {
          path: `${rulePath}.trigger`,
        },
      );
      return;
    }
    if (trigger.lifecycle === "eol" && strict) {
      report(`trigger "${trigger.name}" was retired by anchore-engine`, { code: "CIP_GATE_RETIRED" });
      return;
    }
    const compiled = compileTrigger(gate, trigger, rule.params);
    if (!compiled.ok) {
      for (const p of compiled.problems) {
        const paramIndex =
          p.param === undefined ? -1 : rule.params.findIndex((rp) => rp.name.toLowerCase() === p.param);
        report(p.message, {
          ...(p.param !== undefined ? { param: p.param } : {}),
          ...(p.code !== undefined ? { code: p.code } : {}),
          path: paramIndex >= 0 ? `${rulePath}.params[${paramIndex}]` : `${rulePath}.params`,
        });
      }
      return;
    }
    if (!action) return;
    const list = groups.get(gate) ?? [];
    const ruleNeeds = triggerNeeds(gate, trigger, compiled.params);
    for (const need of ruleNeeds) needs.add(need);
    list.push({ policy, rule, gate, trigger, action, evaluator: compiled.evaluator, needs: ruleNeeds });
    groups.set(gate, list);
  });
  return { policy, gateGroups: [...groups].map(([gate, rules]) => ({ gate, rules })), retired, needs };
}

/** Parses a rule action case-insensitively (anchore accepts `stop`, `STOP`, `Stop`). */
export function parseAction(text: string): Action | undefined {
  const lower = text.trim().toLowerCase();
  return lower === "stop" || lower === "warn" || lower === "go" ? lower : undefined;
}

function checkImageRulePatterns(rule: ImageRule, path: string, what: string, problems: Problem[]): void {
  checkPattern(rule.registry, `${path}.registry`, what, problems);
  checkPattern(rule.repository, `${path}.repository`, what, problems);
  if (rule.image.type === "tag") checkPattern(rule.image.value, `${path}.image.value`, what, problems);
}

/** A `regexp:` pattern must compile and run in linear time; plain wildcards always do. */
function checkPattern(pattern: string, path: string, what: string, problems: Problem[]): void {
  try {
    compileWildcard(pattern);
  } catch (error) {
    if (!(error instanceof PythonRegexError)) throw error;
    problems.push({
      level: "error",
      code: "CIP_REGEX_UNSUPPORTED",
      message: `${what}: pattern ${JSON.stringify(pattern)} ${regexProblem(error)}`,
      path,
    });
  }
}

function checkVersion(version: string, what: string, path: string, problems: Problem[]): void {
  if (version !== SUPPORTED_VERSION) {
    problems.push({
      level: "error",
      code: "CIP_BUNDLE_VERSION",
      message: `${what} has version ${JSON.stringify(version)}; only "${SUPPORTED_VERSION}" is supported`,
      path,
    });
  }
}

function checkDuplicates(
  items: readonly { id: string }[],
  what: string,
  path: string,
  problems: Problem[],
): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.id)) {
      problems.push({
        level: "error",
        code: "CIP_BUNDLE_INVALID",
        message: `${what} id "${item.id}" is used more than once; ids must be unique`,
        path: `${path}[${index}].id`,
      });
    }
    seen.add(item.id);
  });
}

function listOrNone(ids: string[]): string {
  return ids.length === 0 ? "none" : ids.map((i) => `"${i}"`).join(", ");
}
