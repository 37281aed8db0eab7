import type { Action, DecisionV1, ResultRow, Severity } from "../model/index.js";
import { terminalSafeJson } from "../model/terminal-safe.js";
import {
  clip,
  type FindingDetail,
  findingDetail,
  rowSeverity,
  stableHash,
  suppressionOf,
  TOOL_NAME,
  TOOL_VERSION,
  type VulnerabilityHit,
  vulnerabilityHit,
} from "./finding-parts.js";
import { imageRepositoryName } from "./image-name.js";
import type { ReportOptions } from "./report-options.js";

/** The schema URI GitHub's SARIF documentation gives for 2.1.0. */
export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

const LEVEL: Record<Action, "error" | "warning" | "note"> = { stop: "error", warn: "warning", go: "note" };
const ACTION_RANK: Record<Action, number> = { stop: 0, warn: 1, go: 2 };

// GitHub reads `security-severity` as a score: over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
const SECURITY_SEVERITY: Record<Severity, string | undefined> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
  negligible: "0.5",
  unknown: undefined,
};

// GitHub's limits: rule names 255 characters, short and full descriptions 1024.
const NAME_MAX = 255;
const DESCRIPTION_MAX = 1024;

// A one-line, empty-width region: GitHub requires a region, and an image has no lines.
const IMAGE_REGION = { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 };

const DENIED_RULE = "cipolice/denied_image";

interface RuleGroup {
  id: string;
  gate: string;
  trigger: string;
  rows: ResultRow[];
  /** Set for a vulnerability's rule: the hit and detail of each row, in row order. */
  findings?: { hit: VulnerabilityHit; detail: FindingDetail }[];
}

/**
 * The decision as SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: one rule per vulnerability id
 * (as Trivy and Grype write, so each carries its own `security-severity`: the CVSS score when the facts give
 * one, else its severity's band), one rule per gate/trigger for other hits, one result per result row, levels
 * from the action (stop → error, warn → warning, go → note). Allowlisted, VEX-suppressed and allowed-image
 * hits stay as results with `suppressions`. Every result is located on the image (`registry/repository`,
 * stable across tags so alerts persist from build to build) with the package as a logical location for
 * vulnerability hits.
 */
export function formatSarif(decision: DecisionV1, options: ReportOptions): string {
  const groups: RuleGroup[] = [];
  const groupIndex = new Map<string, number>();
  const rowRule: number[] = [];
  for (const r of decision.results) {
    const hit = vulnerabilityHit(r);
    // Vulnerability ids have no "/", gate/trigger ids always one: the two kinds of rule id never meet.
    const id = hit ? hit.id : `${r.gate}/${r.trigger}`;
    let i = groupIndex.get(id);
    if (i === undefined) {
      i = groups.length;
      groupIndex.set(id, i);
      groups.push({ id, gate: r.gate, trigger: r.trigger, rows: [], ...(hit ? { findings: [] } : {}) });
    }
    const g = groups[i] as RuleGroup;
    g.rows.push(r);
    if (hit) g.findings?.push({ hit, detail: findingDetail(r, hit, options.facts) });
    rowRule.push(i);
  }
  const rules: unknown[] = groups.map((g) =>
    g.findings ? vulnerabilityRuleOf(decision, g) : ruleOf(decision, g),
  );
  const results: unknown[] = decision.results.map((r, i) => {
    const g = groups[rowRule[i] as number] as RuleGroup;
    return resultOf(decision, r, rowRule[i] as number, g.id);
  });
  if (decision.deniedImage) {
    // A denied image stops without any trigger hit: without a result of its own the scan would look clean.
    results.push(deniedResult(decision, rules.length));
    rules.push(deniedRule());
  }
  const repository = imageRepositoryName(decision.image);
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            fullName: `${TOOL_NAME} container image policy engine`,
            version: TOOL_VERSION,
            semanticVersion: TOOL_VERSION,
            rules,
          },
        },
        // GitHub reads "category/run-id": one category per image repository keeps each image's alerts apart.
        automationDetails: {
          id: `cipolice/${repository}/${decision.evaluatedAt}`,
          description: { text: `Policy check of ${decision.image.ref}` },
        },
        invocations: [invocationOf(decision)],
        results,
        properties: {
          decisionId: decision.decisionId,
          image: decision.image,
          bundle: decision.bundle,
          mapping: decision.mapping,
          policies: decision.policies,
          finalAction: decision.finalAction,
          policyAction: decision.policyAction,
          status: decision.status,
          reason: decision.reason,
        },
      },
    ],
  };
  return terminalSafeJson(`${JSON.stringify(log, null, 2)}\n`);
}

function ruleOf(decision: DecisionV1, g: RuleGroup): unknown {
  const worst = worstAction(g.rows);
  // GitHub takes severity from the rule only: the worst counting hit sets it, so suppressed ones do not inflate it.
  const counting = g.rows.filter((r) => suppressionOf(decision, r) === undefined);
  let severity: Severity | undefined;
  for (const r of counting.length > 0 ? counting : g.rows) {
    const s = SECURITY_SEVERITY[rowSeverity(r)];
    if (s !== undefined && (severity === undefined || Number(s) > Number(SECURITY_SEVERITY[severity]))) {
      severity = rowSeverity(r);
    }
  }
  const policyRules = policyRulesOf(g.rows);
  const helpText = [
    `CIPolicE fires the ${g.trigger} trigger of the ${g.gate} gate in these policy rules: ${policyRules.join("; ")}.`,
    "A hit counts with its rule's action: stop fails the check, warn reports, go passes.",
    `To clear a hit, fix the finding in the image, or add an allowlist item for gate "${g.gate}" with the hit's trigger id (shown in the result's properties) and a reason.`,
  ].join("\n");
  const helpMarkdown = [
    `CIPolicE fires the **${md(g.trigger)}** trigger of the **${md(g.gate)}** gate in these policy rules:`,
    "",
    ...policyRules.map((p) => `- ${md(p)}`),
    "",
    "A hit counts with its rule's action: *stop* fails the check, *warn* reports, *go* passes.",
    `To clear a hit, fix the finding in the image, or add an allowlist item for gate ${md(`"${g.gate}"`)} with the hit's trigger id (shown in the result's properties) and a reason.`,
  ].join("\n");
  const securitySeverity = severity ? SECURITY_SEVERITY[severity] : undefined;
  return {
    id: g.id,
    name: clip(pascal(g.gate) + pascal(g.trigger) || g.id, NAME_MAX),
    shortDescription: { text: clip(`${g.gate} gate, ${g.trigger} trigger`, DESCRIPTION_MAX) },
    fullDescription: {
      text: clip(
        `The ${g.trigger} trigger of the ${g.gate} gate fired in: ${policyRules.join("; ")}.`,
        DESCRIPTION_MAX,
      ),
    },
    defaultConfiguration: { level: LEVEL[worst] },
    help: { text: helpText, markdown: helpMarkdown },
    properties: {
      // GitHub files results as security alerts only when the rule has a security-severity and the security tag.
      tags: securitySeverity ? ["security", "container", g.gate] : ["container", g.gate],
      ...(securitySeverity ? { "security-severity": securitySeverity } : {}),
      gate: g.gate,
      trigger: g.trigger,
    },
  };
}

/** A vulnerability's rule: its id, the packages it was found in, and its own severity. */
function vulnerabilityRuleOf(decision: DecisionV1, g: RuleGroup): unknown {
  const findings = g.findings ?? [];
  const worst = worstAction(g.rows);
  // The worst counting hit sets the score, so an allowlisted package does not inflate it.
  const counting = findings.filter((_, i) => suppressionOf(decision, g.rows[i] as ResultRow) === undefined);
  let score: number | undefined;
  for (const { detail } of counting.length > 0 ? counting : findings) {
    const s = detail.cvssScore ?? numberOrUndefined(SECURITY_SEVERITY[detail.severity]);
    if (s !== undefined && (score === undefined || s > score)) score = s;
  }
  const first = (findings[0] as { detail: FindingDetail }).detail;
  const severityWord = first.severity === "unknown" ? "" : `${first.severity} `;
  const packages = [
    ...new Set(
      findings.map(
        ({ detail: d }) =>
          `${d.packageName}${d.installed ? ` ${d.installed}` : ""}${d.fixedIn ? ` (fixed in ${d.fixedIn})` : " (no fix known)"}`,
      ),
    ),
  ];
  const title = first.description?.split("\n")[0]?.trim();
  const short = title
    ? `${g.id}: ${title}`
    : `${capitalize(severityWord)}vulnerability ${g.id} in ${packages.join(", ")}`;
  const full =
    first.description?.trim() ||
    `${capitalize(severityWord)}vulnerability ${g.id} in ${packages.join(", ")}.`;
  const policyRules = policyRulesOf(g.rows);
  const helpText = [
    `Vulnerability ${g.id} (${first.severity}${first.cvssScore !== undefined ? `, CVSS ${first.cvssScore}` : ""}) in: ${packages.join("; ")}.`,
    ...(first.url ? [`Advisory: ${first.url}`] : []),
    `CIPolicE reports it through these policy rules: ${policyRules.join("; ")}.`,
    `To clear it, upgrade the package to the fixed version, or add an allowlist item for gate "vulnerabilities" with trigger id ${g.id}+<package> and a reason.`,
  ].join("\n");
  const helpMarkdown = [
    `**${md(g.id)}** (${md(first.severity)}${first.cvssScore !== undefined ? `, CVSS ${first.cvssScore}` : ""})`,
    "",
    "| Package | Installed | Fixed in |",
    "| --- | --- | --- |",
    ...findings.map(
      ({ detail: d }) =>
        `| ${md(d.packageName)} | ${md(d.installed ?? "unknown")} | ${md(d.fixedIn ?? "no fix known")} |`,
    ),
    "",
    // An autolink cannot hold angle brackets: such a URL is shown as escaped text.
    ...(first.url ? [`Advisory: ${/[<>]/.test(first.url) ? md(first.url) : `<${first.url}>`}`, ""] : []),
    `CIPolicE reports it through these policy rules: ${policyRules.map(md).join("; ")}.`,
    `To clear it, upgrade the package to the fixed version, or add an allowlist item for gate ${md('"vulnerabilities"')} with trigger id ${md(`${g.id}+<package>`)} and a reason.`,
  ].join("\n");
  const securitySeverity = score === undefined ? undefined : score.toFixed(1);
  return {
    id: g.id,
    name: clip(g.id, NAME_MAX),
    shortDescription: { text: clip(short, DESCRIPTION_MAX) },
    fullDescription: { text: clip(full, DESCRIPTION_MAX) },
    ...(first.url ? { helpUri: first.url } : {}),
    defaultConfiguration: { level: LEVEL[worst] },
    help: { text: helpText, markdown: helpMarkdown },
    properties: {
      tags: securitySeverity ? ["security", "container", "vulnerability"] : ["container", "vulnerability"],
      ...(securitySeverity ? { "security-severity": securitySeverity } : {}),
      gate: g.gate,
      trigger: g.trigger,
      vulnerabilityId: g.id,
      severity: first.severity,
    },
  };
}

function worstAction(rows: ResultRow[]): Action {
  return rows.reduce<Action>((a, r) => (ACTION_RANK[r.action] < ACTION_RANK[a] ? r.action : a), "go");
}

function policyRulesOf(rows: ResultRow[]): string[] {
  return [
    ...new Set(
      rows.map((r) => `${r.policyName ?? r.policyId} / ${r.ruleId ?? "(rule without id)"} (${r.action})`),
    ),
  ];
}

function numberOrUndefined(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

function capitalize(s: string): string {
  return s.length > 0 ? (s[0] as string).toUpperCase() + s.slice(1) : s;
}

function resultOf(decision: DecisionV1, r: ResultRow, ruleIndex: number, ruleId: string): unknown {
  const hit = vulnerabilityHit(r);
  const suppressions = suppressionsOf(decision, r);
  // A suppressed hit keeps the level its rule asked for; the suppression says why it does not count.
  const level = LEVEL[suppressions.length > 0 ? r.action : r.effectiveAction];
  const repository = imageRepositoryName(decision.image);
  const fingerprint = stableHash(repository, r.gate, r.trigger, r.triggerId, r.policyId, r.ruleId ?? "");
  return {
    ruleId,
    ruleIndex,
    level,
    message: { text: r.message || `${r.gate}/${r.trigger} fired (${r.triggerId})` },
    locations: [imageLocation(decision, hit)],
    partialFingerprints: { primaryLocationLineHash: `${fingerprint.slice(0, 16)}:1` },
    ...(suppressions.length > 0 ? { suppressions } : {}),
    properties: {
      gate: r.gate,
      trigger: r.trigger,
      triggerId: r.triggerId,
      policyId: r.policyId,
      ...(r.policyName !== undefined ? { policyName: r.policyName } : {}),
      ...(r.ruleId !== undefined ? { ruleId: r.ruleId } : {}),
      action: r.action,
      effectiveAction: r.effectiveAction,
      status: r.status,
      ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
      severity: rowSeverity(r, hit),
      ...(hit ? vulnerabilityProperties(hit) : {}),
      ...(r.vex ? { vex: r.vex } : {}),
    },
  };
}

function vulnerabilityProperties(hit: VulnerabilityHit): Record<string, string> {
  const out: Record<string, string> = { vulnerabilityId: hit.id, package: hit.packageKey };
  if (hit.packageType !== undefined) out.packageType = hit.packageType;
  if (hit.packagePath !== undefined) out.packagePath = hit.packagePath;
  if (hit.fixedIn !== undefined) out.fixedVersion = hit.fixedIn;
  if (hit.url !== undefined) out.url = hit.url;
  return out;
}

function imageLocation(decision: DecisionV1, hit?: VulnerabilityHit): unknown {
  return {
    physicalLocation: { artifactLocation: { uri: imageUri(decision) }, region: IMAGE_REGION },
    message: { text: decision.image.ref },
    ...(hit
      ? {
          logicalLocations: [
            { name: hit.packageKey, fullyQualifiedName: hit.packagePath ?? hit.packageKey, kind: "package" },
          ],
        }
      : {}),
  };
}

/**
 * `registry/repository` (`@sha256:…` for an image known only by its digest) as a relative URI reference:
 * GitHub rejects absolute URIs whose scheme differs from the checkout's.
 */
function imageUri(decision: DecisionV1): string {
  return imageRepositoryName(decision.image).split("/").map(encodeURIComponent).join("/");
}

function suppressionsOf(decision: DecisionV1, r: ResultRow): unknown[] {
  const s = suppressionOf(decision, r);
  return s
    ? [{ kind: "external", status: "accepted", justification: s.justification, properties: s.detail }]
    : [];
}

function deniedRule(): unknown {
  const text =
    "The image matches a denied-images rule of the policy bundle, which stops it whatever the triggers say.";
  return {
    id: DENIED_RULE,
    name: "DeniedImage",
    shortDescription: { text: "Image matches a denied-images rule" },
    fullDescription: { text },
    defaultConfiguration: { level: "error" },
    help: { text: `${text}\nUse another image, or change the bundle's denied_images.` },
    properties: { tags: ["security", "container"], "security-severity": SECURITY_SEVERITY.high },
  };
}

function deniedResult(decision: DecisionV1, ruleIndex: number): unknown {
  const rule = decision.deniedImage;
  const name = rule?.name ?? rule?.id ?? `${rule?.registry}/${rule?.repository}`;
  const repository = imageRepositoryName(decision.image);
  return {
    ruleId: DENIED_RULE,
    ruleIndex,
    level: "error",
    message: { text: `Image ${decision.image.ref} matches denied-images rule ${name}` },
    locations: [imageLocation(decision)],
    partialFingerprints: {
      primaryLocationLineHash: `${stableHash(repository, DENIED_RULE, name).slice(0, 16)}:1`,
    },
    properties: { deniedImage: rule },
  };
}

function invocationOf(decision: DecisionV1): unknown {
  return {
    // The evaluation completes even when the image fails; only an unusable bundle means it did not.
    executionSuccessful: decision.reason !== "bundle_invalid",
    endTimeUtc: decision.evaluatedAt,
    toolExecutionNotifications: decision.problems.map((p) => ({
      level: p.level === "info" ? "note" : p.level,
      message: { text: p.message || p.code },
      descriptor: { id: p.code },
      properties: p,
    })),
    properties: {
      finalAction: decision.finalAction,
      policyAction: decision.policyAction,
      status: decision.status,
      reason: decision.reason,
      ...(decision.allowedImage ? { allowedImage: decision.allowedImage } : {}),
      ...(decision.deniedImage ? { deniedImage: decision.deniedImage } : {}),
    },
  };
}

/** `image_source` → `ImageSource`: SARIF rule names are PascalCase identifiers. */
function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join("");
}

/** Text safe inside Markdown: every ASCII punctuation character backslash-escaped, line breaks flattened. */
function md(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}
