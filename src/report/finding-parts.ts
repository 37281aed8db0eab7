import { createHash } from "node:crypto";
import type {
  Action,
  DecisionV1,
  FixState,
  ImageFacts,
  ResultRow,
  Severity,
  Vulnerability,
} from "../model/index.js";
import { vexSuppressed } from "./vex-suppressed.js";

/** The tool as CI reports name it. */
export const TOOL_NAME = "CIPolicE";
/** Keep equal to package.json's version (a test checks it); report/ may not import the CLI's VERSION. */
export const TOOL_VERSION = "0.1.0";

/** What a `vulnerabilities/package` hit says about its vulnerability, read from its trigger id and message. */
export interface VulnerabilityHit {
  /** `CVE-2022-25883`, `GHSA-…`: the part of the trigger id before the first `+`. */
  id: string;
  /** The package part of the trigger id (the name, or for non-OS packages anchore's path-derived key). */
  packageKey: string;
  severity?: Severity;
  /** `os` or `non-os`, as the message prints it. */
  packageClass?: "os" | "non-os";
  /** `dpkg`, `npm`, `binary`… */
  packageType?: string;
  /** Where a non-OS package sits in the image. */
  packagePath?: string;
  fixedIn?: string;
  url?: string;
}

// anchore's message: "<SEV> Vulnerability found in <os|non-os> package type (<type>) - <name|path> [(fixed in: X)]…(<id> - <url>)".
const MESSAGE =
  /^(UNKNOWN|NEGLIGIBLE|LOW|MEDIUM|HIGH|CRITICAL) Vulnerability found in (os|non-os) package type \(([^)]*)\) - (.*?) (?:\(fixed in: ([^)]*)\))?/;
const TAIL = /\(([^\s()]+) - (\S+)\)$/;

/** The vulnerability behind a `vulnerabilities/package` row (trigger id `CVE+package`), or undefined for other rows. */
export function vulnerabilityHit(r: ResultRow): VulnerabilityHit | undefined {
  if (r.gate !== "vulnerabilities" || r.trigger !== "package" || r.status !== "fired") return undefined;
  const plus = r.triggerId.indexOf("+");
  if (plus <= 0 || plus === r.triggerId.length - 1) return undefined;
  const hit: VulnerabilityHit = { id: r.triggerId.slice(0, plus), packageKey: r.triggerId.slice(plus + 1) };
  const m = MESSAGE.exec(r.message);
  if (m) {
    hit.severity = (m[1] as string).toLowerCase() as Severity;
    hit.packageClass = m[2] as "os" | "non-os";
    hit.packageType = m[3];
    // anchore prints the path for non-OS packages and Python's None when there is none.
    if (m[2] === "non-os" && m[4] && m[4] !== "None") hit.packagePath = m[4];
    if (m[5]) hit.fixedIn = m[5];
  }
  const tail = TAIL.exec(r.message);
  if (tail && tail[1] === hit.id && isWebUrl(tail[2] as string)) hit.url = tail[2];
  return hit;
}

const SEVERITY_WORD = /^\s*(unknown|negligible|low|medium|high|critical)\b/i;

/** The severity a vulnerabilities-gate row names with its first word (anchore's messages start with it). */
export function namedSeverity(r: ResultRow): Severity | undefined {
  if (r.gate !== "vulnerabilities") return undefined;
  return SEVERITY_WORD.exec(r.message)?.[1]?.toLowerCase() as Severity | undefined;
}

/** True for an http(s) URL without whitespace: what GitLab's and GitHub's link fields accept. */
export function isWebUrl(s: string): boolean {
  return /^https?:\/\/[^\s/?#]+[^\s]*$/.test(s);
}

const ACTION_SEVERITY: Record<Action, Severity | undefined> = { stop: "high", warn: "medium", go: undefined };

/**
 * The severity a CI report shows for a row: the vulnerability's own when the message names one, else what
 * the rule's action implies (stop → high, warn → medium), else unknown.
 */
export function rowSeverity(r: ResultRow, hit = vulnerabilityHit(r)): Severity {
  if (hit?.severity && hit.severity !== "unknown") return hit.severity;
  return ACTION_SEVERITY[r.action] ?? hit?.severity ?? "unknown";
}

/** A hex SHA-256 of the parts: stable identities for fingerprints and ids. */
export function stableHash(...parts: string[]): string {
  // JSON keeps part boundaries unambiguous whatever the parts contain.
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** A deterministic UUID (RFC 9562 version 8, name-based on SHA-256) for the parts. */
export function stableUuid(...parts: string[]): string {
  const h = stableHash(...parts);
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `text` cut to `max` characters (an ellipsis marks the cut), for fields that consumers limit. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never leave half a surrogate pair before the ellipsis.
  const end = /[\uD800-\uDBFF]/.test(text[max - 2] ?? "") ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

/** Why a hit does not count although its rule fired: an allowlist item, a VEX statement, or an allowed-images rule. */
export interface Suppression {
  by: "allowlist" | "vex" | "allowed_image";
  justification: string;
  /** The allowlist match, VEX assessment or allowed-images rule, as the decision has it. */
  detail: Record<string, unknown>;
}

/** The suppression of a hit, or undefined when the hit counts. */
export function suppressionOf(decision: DecisionV1, r: ResultRow): Suppression | undefined {
  if (r.allowlisted) {
    const a = r.allowlisted;
    const why = [
      a.reason,
      a.owner && `owner ${a.owner}`,
      a.ticket,
      a.expiresOn && `expires ${a.expiresOn}`,
    ].filter(Boolean);
    return {
      by: "allowlist",
      justification: `Allowlisted by ${a.allowlistName ?? a.allowlistId} item ${a.itemId} (${a.pattern})${why.length > 0 ? `: ${why.join(", ")}` : ""}`,
      detail: { allowlist: a },
    };
  }
  if (r.vex && vexSuppressed(r)) {
    const v = r.vex;
    return {
      by: "vex",
      justification: `VEX ${v.status}${v.justification ? ` (${v.justification})` : ""}${v.statement ? `: ${v.statement}` : ""}${v.document ? ` [${v.document}]` : ""}`,
      detail: { vex: v },
    };
  }
  // anchore's allowed images pass whatever fired; the hits stay in the decision but do not count.
  if (decision.reason === "allowlisted" && decision.allowedImage && r.effectiveAction !== "go") {
    const rule = decision.allowedImage;
    return {
      by: "allowed_image",
      justification: `Image allowed by allowed-images rule ${rule.name ?? rule.id ?? `${rule.registry}/${rule.repository}`}`,
      detail: { allowedImage: rule },
    };
  }
  return undefined;
}

/** The vulnerability of the facts behind a hit: same id (or alias) and the package its trigger id names. */
export function factsVulnerability(hit: VulnerabilityHit, facts?: ImageFacts): Vulnerability | undefined {
  const same = (facts?.vulnerabilities ?? []).filter((v) => v.id === hit.id || v.aliases?.includes(hit.id));
  if (same.length <= 1) return same[0];
  // The trigger id names OS packages by name, others by a path part or name-version (anchore's key).
  const key = hit.packageKey;
  return (
    same.find((v) => hit.packagePath !== undefined && v.package.path === hit.packagePath) ??
    same.find((v) => v.package.name === key || `${v.package.name}-${v.package.version}` === key) ??
    same.find((v) => v.package.path?.split("/").includes(key)) ??
    same[0]
  );
}

/** A vulnerability hit as reports show it: the message's parts, completed from the facts when given. */
export interface FindingDetail {
  id: string;
  severity: Severity;
  /** The package name (anchore's trigger id key when the facts are not given). */
  packageName: string;
  /** The installed version, known only from the facts. */
  installed?: string;
  fixedIn?: string;
  /** Whether a fix exists, known only from the facts. */
  fixState?: FixState;
  /** The CVSS base score: NVD's of the newest CVSS version, else the vendor's. */
  cvssScore?: number;
  url?: string;
  /** A one-line title or description, from the facts. */
  description?: string;
}

/** The detail of a vulnerability hit, from its row and (when given) the facts. */
export function findingDetail(r: ResultRow, hit: VulnerabilityHit, facts?: ImageFacts): FindingDetail {
  const v = factsVulnerability(hit, facts);
  const fixedIn =
    hit.fixedIn ?? (v?.fix.state === "fixed" ? v.fix.versions.join(", ") || undefined : undefined);
  const url = hit.url ?? (v?.url && isWebUrl(v.url) ? v.url : undefined);
  const score = cvssScore(v);
  const severity =
    hit.severity && hit.severity !== "unknown"
      ? hit.severity
      : v && v.severity !== "unknown"
        ? v.severity
        : rowSeverity(r, hit);
  return {
    id: hit.id,
    severity,
    packageName: v?.package.name ?? hit.packageKey,
    ...(v?.package.version ? { installed: v.package.version } : {}),
    ...(fixedIn ? { fixedIn } : {}),
    ...(v ? { fixState: v.fix.state } : {}),
    ...(score !== undefined ? { cvssScore: score } : {}),
    ...(url ? { url } : {}),
    ...(v?.description ? { description: v.description } : {}),
  };
}

function cvssScore(v: Vulnerability | undefined): number | undefined {
  const entries = (v?.cvss ?? []).filter(
    (c) => Number.isFinite(c.baseScore) && c.baseScore > 0 && c.baseScore <= 10,
  );
  // NVD first (what GitHub and Trivy show), newest CVSS version first.
  entries.sort((a, b) =>
    a.source === b.source ? Number(b.version) - Number(a.version) : a.source === "nvd" ? -1 : 1,
  );
  return entries[0]?.baseScore;
}
