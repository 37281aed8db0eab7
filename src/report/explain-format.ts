import type { Bundle, DecisionV1, Problem, ResultRow } from "../model/index.js";
import { terminalLine } from "../model/terminal-safe.js";
import type { ReportOptions } from "./report-options.js";
import { vexSuppressed } from "./vex-suppressed.js";

/**
 * Why the decision is what it is, in sentences: which mapping selected which policies and allowlists,
 * what each hit did (and what suppressed it), how the final action follows, and, for an image that
 * passed, which rules were evaluated without firing. Each line is escaped for the terminal as a whole, so
 * text from input can neither move the cursor nor start a line of its own.
 */
export function formatExplain(decision: DecisionV1, options: ReportOptions): string {
  const lines: string[] = [];
  const bundle = options.bundle;
  lines.push(`Decision ${decision.decisionId} for ${decision.image.ref}, ${decision.evaluatedAt}:`);
  lines.push(
    `  final action ${decision.finalAction.toUpperCase()} (${decision.status}), reason ${decision.reason}.`,
  );
  lines.push("");
  lines.push(mappingSentence(decision, bundle));
  const byPolicy = new Map<string, ResultRow[]>();
  for (const r of decision.results) byPolicy.set(r.policyId, [...(byPolicy.get(r.policyId) ?? []), r]);
  for (const p of decision.policies) {
    const rows = byPolicy.get(p.id) ?? [];
    const counting = rows.filter((r) => !r.allowlisted && !vexSuppressed(r));
    const worst = counting.reduce<string>(
      (w, r) => (rank(r.effectiveAction) < rank(w) ? r.effectiveAction : w),
      "go",
    );
    lines.push("");
    lines.push(
      `Policy ${label(p)}: ${rows.length} hit${rows.length === 1 ? "" : "s"}, ${counting.length} counting; its action is ${worst.toUpperCase()}.`,
    );
    for (const r of rows) lines.push(`  - ${rowSentence(r)}`);
    const quiet = silentRules(bundle, p.id, rows, decision.problems);
    if (quiet.length > 0) {
      lines.push(`  Rules that did not fire (${quiet.length}):`);
      for (const q of quiet) lines.push(`    · ${q}`);
    }
  }
  lines.push("");
  lines.push(finalSentence(decision));
  for (const p of decision.problems.filter((x) => x.level !== "info"))
    lines.push(`Note (${p.level}): ${p.message}`);
  return `${lines.map(terminalLine).join("\n")}\n`;
}

function mappingSentence(decision: DecisionV1, bundle: Bundle | undefined): string {
  if (!decision.mapping) return "No mapping of the bundle selected this image, so no policy was evaluated.";
  const m = decision.mapping;
  const mapping = bundle?.mappings[m.index];
  const selector = mapping
    ? ` (registry ${mapping.registry}, repository ${mapping.repository}, ${mapping.image.type} ${mapping.image.value}${mapping.namespaces ? `, namespaces ${mapping.namespaces.join(", ")}` : ""}${mapping.environments ? `, environments ${mapping.environments.join(", ")}` : ""}${selectorText("namespace labels", mapping.namespaceLabels)}${selectorText("annotations", mapping.annotations)})`
    : "";
  const lists =
    mapping && mapping.allowlistIds.length > 0
      ? `; allowlists ${mapping.allowlistIds.join(", ")}`
      : "; no allowlists";
  const earlier =
    m.index > 0 ? ` The ${m.index} mapping${m.index === 1 ? "" : "s"} before it did not match.` : "";
  return `Mapping #${m.index + 1} ${m.name ?? m.id ?? ""}${selector} selected policies ${decision.policies.map(label).join(", ")}${lists}.${earlier}`;
}

/** A label or annotation selector as `, namespace labels tier=production, team=web*`; "" when there is none. */
function selectorText(what: string, selector: Readonly<Record<string, string>> | undefined): string {
  if (selector === undefined) return "";
  const pairs = Object.entries(selector).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? "" : `, ${what} ${pairs.join(", ")}`;
}

function rowSentence(r: ResultRow): string {
  const rule = `rule ${r.ruleId ?? "(no id)"} ${r.gate}/${r.trigger} (${r.action.toUpperCase()})`;
  if (r.status === "error") return `${rule} could not be evaluated: ${r.message} (counts as WARN)`;
  const hit = `${rule} fired on ${r.triggerId}: ${r.message}`;
  if (r.allowlisted) {
    const a = r.allowlisted;
    const why = [
      a.reason && `reason: ${a.reason}`,
      a.owner && `owner: ${a.owner}`,
      a.ticket && `ticket: ${a.ticket}`,
      a.expiresOn && `expires ${a.expiresOn}`,
    ]
      .filter(Boolean)
      .join("; ");
    return `${hit} — allowlisted by ${a.allowlistName ?? a.allowlistId} item ${a.itemId} (pattern ${a.pattern}${why ? `; ${why}` : ""}), so it counts as GO`;
  }
  if (vexSuppressed(r)) {
    return `${hit} — suppressed by VEX ${r.vex?.status}${r.vex?.justification ? ` (${r.vex.justification})` : ""} from ${r.vex?.document ?? "a VEX document"}, so it counts as GO`;
  }
  return `${hit} — counts as ${r.effectiveAction.toUpperCase()}`;
}

function silentRules(
  bundle: Bundle | undefined,
  policyId: string,
  rows: ResultRow[],
  problems: readonly Problem[],
): string[] {
  const policy = bundle?.policies.find((p) => p.id === policyId);
  if (!policy) return [];
  const fired = new Set(rows.map((r) => r.ruleId));
  // A rule that had no data did not decide "fine": say so on the rule itself
  const noData = new Map(
    problems
      .filter((p) => p.code === "CIP_RULE_NO_DATA" && p.policyId === policyId && p.ruleId !== undefined)
      .map((p) => [p.ruleId, p.message.replace(/^.*had no data to decide on: /, "")]),
  );
  return policy.rules
    .filter((r) => r.id === undefined || !fired.has(r.id))
    .map((r) => {
      const unknown = r.id !== undefined ? noData.get(r.id) : undefined;
      return `${r.id ?? "(no id)"} ${r.gate}/${r.trigger} ${r.action.toUpperCase()}${r.params.length > 0 ? ` with ${r.params.map((p) => `${p.name}=${p.value}`).join(", ")}` : ""}${unknown ? ` — NO DATA: ${unknown}` : ""}`;
    });
}

function finalSentence(d: DecisionV1): string {
  if (d.reason === "denylisted") {
    return `The image matches denied image rule ${d.deniedImage?.name ?? d.deniedImage?.id ?? ""} (${d.deniedImage?.registry}/${d.deniedImage?.repository} ${d.deniedImage?.image.type} ${d.deniedImage?.image.value}): STOP whatever the policies say (they said ${d.policyAction.toUpperCase()}).`;
  }
  if (d.reason === "allowlisted") {
    return `The image matches allowed image rule ${d.allowedImage?.name ?? d.allowedImage?.id ?? ""} (${d.allowedImage?.registry}/${d.allowedImage?.repository} ${d.allowedImage?.image.type} ${d.allowedImage?.image.value}): GO whatever the policies say (they said ${d.policyAction.toUpperCase()}).`;
  }
  if (d.reason === "no_mapping") return "Nothing was evaluated, so the final action is GO.";
  const counting = d.results.filter((r) => !r.allowlisted && !vexSuppressed(r) && r.effectiveAction !== "go");
  if (counting.length === 0) {
    return "No counting hit: every rule either did not fire, or its hits were allowlisted or suppressed by VEX. Final action GO.";
  }
  return `The final action is the worst counting hit across the policies: ${d.finalAction.toUpperCase()} (${counting.filter((r) => r.effectiveAction === "stop").length} STOP, ${counting.filter((r) => r.effectiveAction === "warn").length} WARN). GO and WARN pass; STOP fails.`;
}

function label(p: { id: string; name?: string }): string {
  return p.name && p.name !== p.id ? `"${p.name}" (${p.id})` : p.id;
}

function rank(action: string): number {
  return action === "stop" ? 0 : action === "warn" ? 1 : 2;
}
