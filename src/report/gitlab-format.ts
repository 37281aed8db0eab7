import type { DecisionV1, ImageFacts, ResultRow, Severity } from "../model/index.js";
import { terminalSafeJson } from "../model/terminal-safe.js";
import {
  clip,
  findingDetail,
  isWebUrl,
  rowSeverity,
  stableUuid,
  suppressionOf,
  TOOL_NAME,
  TOOL_VERSION,
  type VulnerabilityHit,
  vulnerabilityHit,
} from "./finding-parts.js";
import type { ReportOptions } from "./report-options.js";

/** The GitLab security report schema version this report declares. */
export const GITLAB_REPORT_VERSION = "15.0.7";
const SCHEMA_URL = `https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v${GITLAB_REPORT_VERSION}/dist/container-scanning-report-format.json`;

const SEVERITY: Record<Severity, string> = {
  critical: "Critical",
  high: "High",
  medium: "Medium",
  low: "Low",
  negligible: "Info",
  unknown: "Unknown",
};

// GitLab requires the distribution and installed version; without the facts neither is known.
const UNKNOWN = "unknown";

// GitLab's limits: name 255 characters, solution 7000, description 1 MiB.
const NAME_MAX = 255;
const SOLUTION_MAX = 7000;
const DESCRIPTION_MAX = 1_048_576;

type MessageLevel = "info" | "warn" | "fatal";

interface Finding {
  hit: VulnerabilityHit;
  rows: ResultRow[];
}

/**
 * The decision as a GitLab container-scanning report (security report schema 15): each counting
 * `vulnerabilities/package` hit is one vulnerability (deduplicated by trigger id, located on the image and
 * package, CVE as primary identifier, severity from the finding or else from the action). Other policy
 * findings have no package to locate them, and allowlisted or VEX-suppressed hits do not count, so they
 * are listed as scan messages instead of being turned into vulnerabilities GitLab would track and gate on.
 * With `options.facts`, each vulnerability names its installed version, the image's distribution (`alpine
 * 3.10`) and, when a fix is known, a solution (`Upgrade musl to 1.1.22-r3`), as Trivy's GitLab output does.
 */
export function formatGitlab(decision: DecisionV1, options: ReportOptions): string {
  const findings = new Map<string, Finding>();
  const others: { level: MessageLevel; value: string }[] = [];
  for (const r of decision.results) {
    const suppression = suppressionOf(decision, r);
    const hit = vulnerabilityHit(r);
    if (suppression) {
      others.push({
        level: "info",
        value: `Not counted (${suppression.justification}): ${describe(r, r.action)}`,
      });
    } else if (hit) {
      const f = findings.get(r.triggerId);
      if (f) f.rows.push(r);
      else findings.set(r.triggerId, { hit, rows: [r] });
    } else {
      const counts = r.status === "error" || r.effectiveAction !== "go";
      others.push({ level: counts ? "warn" : "info", value: describe(r) });
    }
  }
  if (decision.deniedImage) {
    const rule = decision.deniedImage;
    others.push({
      level: "warn",
      value: `STOP: image matches denied-images rule ${rule.name ?? rule.id ?? `${rule.registry}/${rule.repository}`}`,
    });
  }
  const vulnerabilities = [...findings.values()].map((f) => vulnerabilityOf(decision, f, options.facts));
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const summary =
    `${TOOL_NAME} ${decision.status.toUpperCase()}: final action ${decision.finalAction.toUpperCase()} ` +
    `(${decision.reason.replaceAll("_", " ")}) for ${decision.image.ref}; ` +
    `${count(vulnerabilities.length, "vulnerability", "vulnerabilities")} reported` +
    (others.length > 0
      ? `; ${count(others.length, "other finding", "other findings")} in the messages below`
      : "");
  const messages = [
    { level: "info" as MessageLevel, value: summary },
    ...others,
    ...decision.problems.map((p) => ({
      level: (p.level === "info" ? "info" : "warn") as MessageLevel,
      value: `${p.code}: ${p.message}`,
    })),
  ];
  // An unusable bundle means the check did not run: GitLab shows a failed scan, not a clean one.
  if (decision.reason === "bundle_invalid")
    messages.push({ level: "fatal", value: "The policy bundle is invalid" });
  const time = gitlabTime(decision.evaluatedAt);
  const tool = { id: "cipolice", name: TOOL_NAME, version: TOOL_VERSION, vendor: { name: TOOL_NAME } };
  const report = {
    version: GITLAB_REPORT_VERSION,
    schema: SCHEMA_URL,
    scan: {
      analyzer: tool,
      scanner: tool,
      type: "container_scanning",
      start_time: time,
      end_time: time,
      status: decision.reason === "bundle_invalid" ? "failure" : "success",
      messages,
    },
    vulnerabilities,
    remediations: [],
  };
  return terminalSafeJson(`${JSON.stringify(report, null, 2)}\n`);
}

function vulnerabilityOf(decision: DecisionV1, f: Finding, facts: ImageFacts | undefined): unknown {
  const { hit, rows } = f;
  const first = rows[0] as ResultRow;
  const detail = findingDetail(first, hit, facts);
  // Severity falls back to the action when the finding has none: the strictest rule that fired decides.
  const strictest = rows.find((r) => r.action === "stop") ?? rows.find((r) => r.action === "warn") ?? first;
  const identifiers: Record<string, string>[] = [
    { type: identifierType(hit.id), name: hit.id, value: hit.id, ...(hit.url ? { url: hit.url } : {}) },
    // The trigger id is what allowlist items match: shown so a reader can write one.
    { type: "cipolice_trigger_id", name: `CIPolicE trigger id ${first.triggerId}`, value: first.triggerId },
  ];
  const ruleLines = rows.map(
    (r) =>
      `CIPolicE policy ${r.policyName ?? r.policyId}, rule ${r.ruleId ?? "(without id)"} (${r.gate}/${r.trigger}): ${r.effectiveAction.toUpperCase()}.`,
  );
  return {
    id: stableUuid(decision.image.ref, first.triggerId),
    name: clip(hit.id, NAME_MAX),
    description: clip(
      [...(detail.description ? [detail.description, ""] : []), first.message, "", ...ruleLines].join("\n"),
      DESCRIPTION_MAX,
    ),
    severity: SEVERITY[rowSeverity(strictest, hit)],
    ...(detail.fixedIn
      ? { solution: clip(`Upgrade ${detail.packageName} to ${detail.fixedIn}`, SOLUTION_MAX) }
      : {}),
    identifiers,
    ...(hit.url && isWebUrl(hit.url) ? { links: [{ url: hit.url }] } : {}),
    location: {
      dependency: { package: { name: detail.packageName }, version: detail.installed ?? UNKNOWN },
      operating_system: operatingSystem(facts),
      image: decision.image.ref,
    },
  };
}

/** `alpine 3.10` as Trivy writes it: the distribution id and version from the facts. */
function operatingSystem(facts: ImageFacts | undefined): string {
  const d = facts?.distro;
  return d?.name ? `${d.name}${d.version ? ` ${d.version}` : ""}` : UNKNOWN;
}

/** GitLab's identifier types: `cve`, `ghsa`…, else the lower-cased prefix of ids such as `RHSA-2020:0111`. */
function identifierType(id: string): string {
  const prefix = /^([A-Za-z]+)-/.exec(id)?.[1];
  return prefix ? prefix.toLowerCase() : "vulnerability_id";
}

/** One line for a row that is not a vulnerability: action, gate/trigger, trigger id, policy rule, message. */
function describe(r: ResultRow, action: string = r.effectiveAction): string {
  const shown = r.status === "error" ? `ERROR${r.errorCode ? ` ${r.errorCode}` : ""}` : action.toUpperCase();
  const where = `${r.policyName ?? r.policyId}${r.ruleId ? ` / ${r.ruleId}` : ""}`;
  return `${shown} ${r.gate}/${r.trigger} [${r.triggerId}] (${where}): ${r.message || "(no message)"}`;
}

/** GitLab wants `yyyy-mm-ddThh:mm:ss` in UTC, without fraction or zone. */
function gitlabTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? "1970-01-01T00:00:00" : new Date(ms).toISOString().slice(0, 19);
}
