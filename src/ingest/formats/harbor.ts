import {
  CipError,
  type CvssEntry,
  type FixState,
  type Package,
  type Vulnerability,
} from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { parsePurl } from "../normalize/purl.js";
import { normalizeSeverity, severityFromCvss } from "../normalize/severity.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { cvssVersion, shortDescription } from "./findings-common.js";

const MIME_PREFIX = "application/vnd.";

/**
 * Harbor's vulnerability report (`application/vnd.security.vulnerability.report; version=1.1` and the older
 * `…vuln.report.harbor+json; version=1.0`), bare or in the API's `{"<mime type>": report}` wrapper. Harbor's
 * scan overview (an artifact's `scan_overview`, a webhook event) is recognised and refused, because it holds
 * only counts per severity, not findings.
 */
export const harborFormat: ReportFormat = {
  id: "harbor",
  name: "Harbor vulnerability report",
  kind: "scanner",
  shape: '"vulnerabilities" with a "scanner" object and "generated_at" or "severity" (or a scan overview)',
  detect(document: unknown): boolean {
    if (!isObject(document)) return false;
    if (isReport(document) || isWebhookEvent(document) || isObject(document.scan_overview)) return true;
    const wrapped = mimeEntry(document);
    return wrapped !== undefined && (isReport(wrapped) || isOverview(wrapped));
  },
  parse: parseHarbor,
};

function isReport(value: JsonObject): boolean {
  return (
    "vulnerabilities" in value && isObject(value.scanner) && ("generated_at" in value || "severity" in value)
  );
}

function isOverview(value: JsonObject): boolean {
  return (
    !("vulnerabilities" in value) &&
    ("scan_status" in value || "report_id" in value || isObject(value.summary))
  );
}

function isWebhookEvent(value: JsonObject): boolean {
  return (
    typeof value.type === "string" && isObject(value.event_data) && Array.isArray(value.event_data.resources)
  );
}

function mimeEntry(document: JsonObject): JsonObject | undefined {
  for (const key in document) {
    const value = document[key];
    if (key.startsWith(MIME_PREFIX) && isObject(value)) return value;
  }
  return undefined;
}

function parseHarbor(document: unknown, source: string): ParsedReport {
  const r = new DocumentReader("Harbor", source);
  const doc = r.object(document, "(document)");
  if (isReport(doc)) return readReport(r, doc, "");
  if (isWebhookEvent(doc)) refuseWebhook(doc, source);
  if (isObject(doc.scan_overview))
    refuseOverview(mimeEntry(doc.scan_overview), `artifact ${describeArtifact(doc)}`, source);
  for (const key in doc) {
    const value = doc[key];
    if (!key.startsWith(MIME_PREFIX) || !isObject(value)) continue;
    if ("vulnerabilities" in value)
      return readReport(r, r.object(value, JSON.stringify(key)), JSON.stringify(key));
    refuseOverview(value, key, source);
  }
  throw r.invalid(
    "(document)",
    "no Harbor vulnerability report in it (expected `vulnerabilities` and `scanner`)",
  );
}

function readReport(r: DocumentReader, report: JsonObject, at: string): ParsedReport {
  const scannerInfo = isObject(report.scanner) ? report.scanner : {};
  const scannerName = optionalString(scannerInfo.name)?.toLowerCase() ?? "harbor";
  const scannerVersion = optionalString(scannerInfo.version);
  const list = r.array(report.vulnerabilities, `${at}.vulnerabilities`);
  const findings: Vulnerability[] = [];
  const packages = new Map<string, Package>();
  const artifactDigests = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const path = `${at}.vulnerabilities[${i}]`;
    const v = r.object(list[i], path);
    const finding = readVulnerability(r, v, path, scannerName);
    findings.push(finding);
    const p = finding.package;
    const key = `${p.name}\u0000${p.version}`;
    if (!packages.has(key))
      packages.set(key, {
        name: p.name,
        version: p.version,
        type: p.type,
        ...(p.purl ? { purl: p.purl } : {}),
      });
    if (Array.isArray(v.artifact_digests))
      for (const d of v.artifact_digests) if (typeof d === "string" && d !== "") artifactDigests.add(d);
  }
  const parsed: ParsedReport = {
    format: "harbor",
    scanner: { name: scannerName, ...(scannerVersion ? { version: scannerVersion } : {}) },
    packages: [...packages.values()],
    inventory: "partial",
    vulnerabilities: findings,
    notes: [],
  };
  const produced = optionalTime(report.generated_at);
  if (produced) parsed.producedAt = produced;
  const image: NonNullable<ParsedReport["image"]> = {};
  const artifact = isObject(report.artifact) ? report.artifact : undefined;
  if (artifact) {
    const repository = optionalString(artifact.repository);
    const tag = optionalString(artifact.tag);
    const digest = optionalString(artifact.digest);
    if (repository)
      image.ref = tag ? `${repository}:${tag}` : digest ? `${repository}@${digest}` : repository;
    if (digest) image.digest = digest;
  }
  // Every finding of a single-manifest scan cites the same artifact: that is the scanned image's digest.
  if (!image.digest && artifactDigests.size === 1) image.digest = [...artifactDigests][0] as string;
  if (Object.keys(image).length > 0) parsed.image = image;
  return parsed;
}

function readVulnerability(r: DocumentReader, v: JsonObject, at: string, scanner: string): Vulnerability {
  const id = r.requiredString(v.id, `${at}.id`);
  const name = r.requiredString(v.package, `${at}.package`);
  const version = optionalString(v.version) ?? "";
  const purl = optionalString(v.purl);
  const type = normalizePackageType(parsePurl(purl)?.type);
  const cvss = cvssOf(v, scanner);
  const v3 =
    cvss.find((c) => c.source === "nvd" && c.version.startsWith("3")) ??
    cvss.find((c) => c.version.startsWith("3"));
  const severity =
    normalizeSeverity(optionalString(v.severity)) ?? (v3 ? severityFromCvss(v3.baseScore) : "unknown");
  const finding: Vulnerability = {
    id,
    package: { name, version, type, ...(purl ? { purl } : {}) },
    severity,
    fix: fixOf(v),
    sources: [scanner],
  };
  if (cvss.length > 0) finding.cvss = cvss;
  const links = Array.isArray(v.links)
    ? v.links.find((l): l is string => typeof l === "string" && l !== "")
    : undefined;
  if (links) finding.url = links;
  const description = shortDescription(optionalString(v.description));
  if (description) finding.description = description;
  return finding;
}

function fixOf(v: JsonObject): { state: FixState; versions: string[] } {
  if (!("fix_version" in v)) return { state: "unknown", versions: [] };
  const text = optionalString(v.fix_version);
  if (!text) return { state: "not-fixed", versions: [] };
  const versions = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return { state: "fixed", versions };
}

// CVSS by scorer from `vendor_attributes.CVSS` (Trivy's V2/V3/V40 fields); else the single `preferred_cvss`.
function cvssOf(v: JsonObject, scanner: string): CvssEntry[] {
  const out: CvssEntry[] = [];
  const vendor =
    isObject(v.vendor_attributes) && isObject(v.vendor_attributes.CVSS)
      ? v.vendor_attributes.CVSS
      : undefined;
  if (vendor) {
    for (const scorer in vendor) {
      const s = vendor[scorer];
      if (!isObject(s)) continue;
      const source = scorer.toLowerCase() === "nvd" ? "nvd" : "vendor";
      push(out, "2.0", source, scorer, s.V2Score, s.V2Vector);
      push(out, "3.0", source, scorer, s.V3Score, s.V3Vector);
      push(out, "4.0", source, scorer, s.V40Score, s.V40Vector);
    }
  }
  if (out.length === 0 && isObject(v.preferred_cvss)) {
    const p = v.preferred_cvss;
    push(out, "3.0", "vendor", scanner, p.score_v3, p.vector_v3);
    push(out, "2.0", "vendor", scanner, p.score_v2, p.vector_v2);
    push(out, "4.0", "vendor", scanner, p.score_v4, p.vector_v4);
  }
  if (out.length === 0) push(out, "3.0", "vendor", scanner, v.cvss_score_v3, undefined);
  return out;
}

function push(
  out: CvssEntry[],
  fallback: string,
  source: "nvd" | "vendor",
  sourceName: string,
  score: unknown,
  vector: unknown,
): void {
  const baseScore = optionalNumber(score);
  if (baseScore === undefined) return;
  const text = optionalString(vector);
  out.push({
    version: cvssVersion(text, fallback),
    source,
    sourceName,
    baseScore,
    ...(text ? { vector: text } : {}),
  });
}

function refuseWebhook(event: JsonObject, source: string): never {
  const data = event.event_data as JsonObject;
  const resources = (data.resources as unknown[]).filter(isObject);
  for (const resource of resources) {
    if (isObject(resource.scan_overview)) {
      const what = `${optionalString(event.type) ?? "webhook"} webhook event for ${optionalString(resource.resource_url) ?? "an artifact"}`;
      refuseOverview(mimeEntry(resource.scan_overview), what, source);
    }
  }
  throw new CipError(
    "CIP_REPORT_UNSUPPORTED",
    `Cannot read ${source}: it is a Harbor ${optionalString(event.type) ?? "webhook"} webhook event, which carries no scan results`,
    { hint: FETCH_HINT },
  );
}

const FETCH_HINT =
  "Fetch the full report from Harbor (GET /api/v2.0/projects/{project}/repositories/{repository}/artifacts/{reference}/additions/vulnerabilities) and pass that file with --report.";

// A summary-only overview is refused rather than read as notes: a policy given counts alone could not match packages, fixes or allowlists, and an image with 5 High findings must not pass as "no vulnerability data".
function refuseOverview(overview: JsonObject | undefined, what: string, source: string): never {
  const parts: string[] = [];
  if (overview) {
    const status = optionalString(overview.scan_status);
    if (status) parts.push(`scan ${status}`);
    const summary = isObject(overview.summary) ? overview.summary : undefined;
    if (summary) {
      const total = optionalNumber(summary.total);
      const fixable = optionalNumber(summary.fixable);
      if (total !== undefined) parts.push(`total ${total}`);
      if (fixable !== undefined) parts.push(`fixable ${fixable}`);
      if (isObject(summary.summary)) {
        const counts = Object.entries(summary.summary)
          .filter(([, n]) => typeof n === "number")
          .map(([s, n]) => `${s} ${n}`);
        if (counts.length > 0) parts.push(counts.join(", "));
      }
    }
    const scanner = isObject(overview.scanner) ? overview.scanner : undefined;
    if (scanner)
      parts.push(
        `scanner ${[optionalString(scanner.name), optionalString(scanner.version)].filter(Boolean).join(" ")}`,
      );
  }
  throw new CipError(
    "CIP_REPORT_UNSUPPORTED",
    `Cannot read ${source}: it is a Harbor scan overview (${what}) with only a summary${parts.length > 0 ? ` (${parts.join("; ")})` : ""}, not the findings a policy needs`,
    { hint: FETCH_HINT },
  );
}

function describeArtifact(artifact: JsonObject): string {
  return optionalString(artifact.digest) ?? optionalString(artifact.repository_name) ?? "in the document";
}
