import type { CvssEntry, FixState, Vulnerability } from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import { normalizePackageType } from "../normalize/package-type.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import {
  cvssVersion,
  FindingSet,
  findingSeverity,
  shortDescription,
  splitRelatedIds,
} from "./findings-common.js";

const SCANNER = "anchore";
// Anchore writes these where a value is absent, or `pkgdb` for "in the OS package database".
const NO_VALUE = new Set(["", "None", "none", "N/A", "null"]);
const NO_PATH = new Set([...NO_VALUE, "pkgdb"]);

/** The shapes of Anchore vulnerability output this format reads. */
type Variant = "engine" | "anchorectl" | "security-evaluation" | "policy-engine";

/**
 * Anchore vulnerability listings: anchore-cli `image vuln <image> all` JSON and Anchore Enterprise's
 * (`{imageDigest | image_digest, vulnerability_type, vulnerabilities[]}`, snake_case or camelCase rows),
 * anchorectl's bare array of rows, anchorectl's `{metadata, securityEvaluation[]}`, and anchore-engine's
 * policy-engine vulnerability list (`[{artifact, vulnerability, fix, nvd, match}]`). A bare empty array
 * is not claimed: anchorectl writes `[]` both for "no vulnerabilities" and "no policy violations".
 */
export const anchoreVulnFormat: ReportFormat = {
  id: "anchore",
  name: "Anchore vulnerability JSON",
  kind: "scanner",
  shape:
    'a list of {vuln, package…} or {artifact, vulnerability} rows, or an object with "securityEvaluation", or "vulnerabilities" beside "imageDigest"/"vulnerability_type"',
  detect(document) {
    return variantOf(document) !== undefined;
  },
  parse(document, source) {
    const reader = new DocumentReader("Anchore vulnerability", source);
    const variant =
      variantOf(document) ?? (Array.isArray(document) && document.length === 0 ? "anchorectl" : undefined);
    if (variant === undefined) {
      throw reader.invalid(
        "$",
        "expected {vulnerabilities[]} with imageDigest, {metadata, securityEvaluation[]}, or an array of vulnerability rows",
      );
    }
    const findings = new FindingSet();
    const report: ParsedReport = { format: "anchore", scanner: { name: SCANNER }, packages: [], notes: [] };
    if (variant === "policy-engine" || variant === "anchorectl") {
      const rows = reader.array(document, "$");
      for (let i = 0; i < rows.length; i++) {
        const path = `$[${i}]`;
        const row = reader.object(rows[i], path);
        findings.add(
          variant === "policy-engine" ? policyEngineRow(reader, row, path) : engineRow(reader, row, path),
        );
      }
    } else if (variant === "security-evaluation") {
      const root = reader.object(document, "$");
      const rows = reader.array(root.securityEvaluation, "$.securityEvaluation");
      for (let i = 0; i < rows.length; i++) {
        const path = `$.securityEvaluation[${i}]`;
        findings.add(securityEvaluationRow(reader, reader.object(rows[i], path), path));
      }
      readMetadata(root.metadata, report);
    } else {
      const root = reader.object(document, "$");
      const rows = reader.array(root.vulnerabilities, "$.vulnerabilities");
      for (let i = 0; i < rows.length; i++) {
        const path = `$.vulnerabilities[${i}]`;
        findings.add(engineRow(reader, reader.object(rows[i], path), path));
      }
      const digest = optionalString(root.imageDigest) ?? optionalString(root.image_digest);
      const ref = optionalString(root.imageFullTag) ?? optionalString(root.image_full_tag);
      if (digest || ref) report.image = { ...(ref ? { ref } : {}), ...(digest ? { digest } : {}) };
    }
    report.packages = findings.packages;
    report.inventory = "partial";
    report.vulnerabilities = findings.vulnerabilities;
    return report;
  },
};

function variantOf(document: unknown): Variant | undefined {
  if (Array.isArray(document)) {
    const first = document[0];
    if (!isObject(first)) return undefined;
    if (isObject(first.artifact) && isObject(first.vulnerability)) return "policy-engine";
    if (
      typeof first.vuln === "string" &&
      ("packageName" in first || "package_name" in first || "package" in first)
    ) {
      return "anchorectl";
    }
    return undefined;
  }
  if (!isObject(document)) return undefined;
  if (Array.isArray(document.securityEvaluation)) return "security-evaluation";
  if (
    Array.isArray(document.vulnerabilities) &&
    (typeof document.imageDigest === "string" ||
      typeof document.image_digest === "string" ||
      typeof document.vulnerability_type === "string" ||
      typeof document.vulnerabilityType === "string")
  ) {
    return "engine";
  }
  return undefined;
}

/** A field by its snake_case or camelCase name (anchore-cli and anchorectl spell the same rows both ways). */
function field(row: JsonObject, snake: string, camel: string): unknown {
  const value = row[snake];
  return value === undefined ? row[camel] : value;
}

function present(value: unknown, absent: Set<string> = NO_VALUE): string | undefined {
  const text = optionalString(value)?.trim();
  return text === undefined || absent.has(text) ? undefined : text;
}

/** One row of anchore-cli / Anchore Enterprise / anchorectl vulnerability JSON. */
function engineRow(reader: DocumentReader, row: JsonObject, path: string): Vulnerability {
  const id = reader.requiredString(row.vuln, `${path}.vuln`);
  const type = packageType(field(row, "package_type", "packageType"));
  let name = present(field(row, "package_name", "packageName"));
  let version = present(field(row, "package_version", "packageVersion"));
  if (name === undefined) {
    const split = splitPackage(reader.requiredString(row.package, `${path}.package`), type);
    name = split.name;
    version ??= split.version;
  }
  const feedGroup = present(field(row, "feed_group", "feedGroup"));
  const extra = isObject(row.extra) ? row.extra : undefined;
  const details = extra ? nvdDetails(extra.nvd_data ?? extra.nvdData) : undefined;
  const nvdIds: string[] = [];
  const cvss = [
    ...scoreList(field(row, "nvd_data", "nvdData"), "nvd", "nvd", details, id, nvdIds),
    ...scoreList(
      field(row, "vendor_data", "vendorData"),
      "vendor",
      feedGroup ?? "vendor",
      undefined,
      id,
      nvdIds,
    ),
  ];
  // An advisory's NVD records, or several of them, are the CVEs it covers: advisories, not aliases
  const related = splitRelatedIds(id, nvdIds);
  const fixText = present(row.fix);
  const willNotFix = field(row, "will_not_fix", "willNotFix") === true;
  const pkgPath = present(field(row, "package_path", "packagePath"), NO_PATH);
  const url = present(row.url);
  const description = shortDescription(row.description ?? extra?.description);
  const detectedAt = optionalTime(field(row, "detected_at", "detectedAt"));
  const fixAvailableAt = optionalTime(field(row, "fix_observed_at", "fixObservedAt"));
  return {
    id,
    ...related,
    package: { name, version: version ?? "", type, ...(pkgPath ? { path: pkgPath } : {}) },
    severity: findingSeverity(row.severity, cvss),
    ...(cvss.length > 0 ? { cvss } : {}),
    fix: fix(fixText ? [fixText] : [], willNotFix),
    ...(detectedAt ? { detectedAt } : {}),
    ...(fixAvailableAt ? { fixAvailableAt } : {}),
    ...(url ? { url } : {}),
    ...(description ? { description } : {}),
    sources: [SCANNER],
  };
}

/** One entry of anchorectl's `securityEvaluation` list. */
function securityEvaluationRow(reader: DocumentReader, row: JsonObject, path: string): Vulnerability {
  const id = reader.requiredString(row.vulnerabilityId, `${path}.vulnerabilityId`);
  const type = packageType(row.packageType);
  const { name, version } = splitPackage(reader.requiredString(row.package, `${path}.package`), type);
  const related = splitRelatedIds(id, (optionalString(row.cves) ?? "").split(/[\s,]+/));
  const score = optionalNumber(row.nvdCvssBaseScore);
  // The score is NVD's base score; NVD has scored in CVSS 3.1 since 2019.
  const cvss: CvssEntry[] =
    score !== undefined && score >= 0 && score <= 10
      ? [{ version: "3.1", source: "nvd", sourceName: "nvd", baseScore: score }]
      : [];
  const fixText = present(row.fixAvailable);
  const pkgPath = present(row.path, NO_PATH);
  const url = present(row.link);
  const detectedAt = optionalTime(row.detectedAt);
  const fixAvailableAt = optionalTime(row.fixObservedAt);
  const description = shortDescription(row.description);
  return {
    id,
    ...related,
    package: { name, version, type, ...(pkgPath ? { path: pkgPath } : {}) },
    severity: findingSeverity(row.severity, cvss),
    ...(cvss.length > 0 ? { cvss } : {}),
    fix: fix(fixText ? fixText.split(",").map((v) => v.trim()) : [], row.willNotFix === true),
    ...(detectedAt ? { detectedAt } : {}),
    ...(fixAvailableAt ? { fixAvailableAt } : {}),
    ...(url ? { url } : {}),
    ...(description ? { description } : {}),
    sources: [SCANNER],
  };
}

/** One entry of anchore-engine's policy-engine vulnerability list (grype or legacy provider). */
function policyEngineRow(reader: DocumentReader, row: JsonObject, path: string): Vulnerability {
  const artifact = reader.object(row.artifact, `${path}.artifact`);
  const vuln = reader.object(row.vulnerability, `${path}.vulnerability`);
  const id = reader.requiredString(vuln.vulnerability_id, `${path}.vulnerability.vulnerability_id`);
  const feedGroup = present(vuln.feed_group);
  // The vulnerability's own scores are NVD's when it comes from an NVD feed group, else its vendor's.
  const fromNvd = feedGroup?.startsWith("nvd") === true;
  const nvdIds: string[] = [];
  const cvss: CvssEntry[] = cvssList(
    vuln.cvss,
    fromNvd ? "nvd" : "vendor",
    fromNvd ? "nvd" : (feedGroup ?? "vendor"),
  );
  const nvd = reader.array(row.nvd, `${path}.nvd`);
  for (const entry of nvd) {
    if (!isObject(entry)) continue;
    const nvdId = optionalString(entry.vulnerability_id);
    if (nvdId && nvdId !== id && !nvdIds.includes(nvdId)) nvdIds.push(nvdId);
    cvss.push(...cvssList(entry.cvss, "nvd", "nvd"));
  }
  const fixInfo = isObject(row.fix) ? row.fix : {};
  const versions = Array.isArray(fixInfo.versions)
    ? fixInfo.versions.filter((v): v is string => typeof v === "string" && v !== "")
    : [];
  const location = present(artifact.location, NO_PATH);
  const url = present(vuln.link);
  const description = shortDescription(vuln.description);
  const detectedAt = isObject(row.match) ? optionalTime(row.match.detected_at) : undefined;
  const fixAvailableAt = optionalTime(fixInfo.observed_at);
  return {
    id,
    ...splitRelatedIds(id, nvdIds),
    package: {
      name: reader.requiredString(artifact.name, `${path}.artifact.name`),
      version: optionalString(artifact.version) ?? "",
      type: packageType(artifact.pkg_type),
      ...(location ? { path: location } : {}),
    },
    severity: findingSeverity(vuln.severity, cvss),
    ...(cvss.length > 0 ? { cvss } : {}),
    fix: fix(versions, fixInfo.will_not_fix === true),
    ...(detectedAt ? { detectedAt } : {}),
    ...(versions.length > 0 && fixAvailableAt ? { fixAvailableAt } : {}),
    ...(url ? { url } : {}),
    ...(description ? { description } : {}),
    sources: [SCANNER],
  };
}

function readMetadata(value: unknown, report: ParsedReport): void {
  if (!isObject(value)) return;
  const registry = optionalString(value.registry);
  const repository = optionalString(value.repository);
  const tag = optionalString(value.tag);
  const digest = optionalString(value.imageDigest);
  const ref = repository
    ? `${registry ? `${registry}/` : ""}${repository}${tag ? `:${tag}` : ""}`
    : undefined;
  if (ref || digest) report.image = { ...(ref ? { ref } : {}), ...(digest ? { digest } : {}) };
  const producedAt = optionalTime(value.timestamp);
  if (producedAt) report.producedAt = producedAt;
}

/** Vector and exact version of NVD scores by CVE id, from Anchore Enterprise's `extra.nvd_data`. */
type NvdDetails = Map<
  string,
  { v2?: { vector?: string; version?: string }; v3?: { vector?: string; version?: string } }
>;

function nvdDetails(value: unknown): NvdDetails | undefined {
  if (!Array.isArray(value)) return undefined;
  const map: NvdDetails = new Map();
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const id = optionalString(entry.id);
    if (!id) continue;
    const detail = (v: unknown) =>
      isObject(v)
        ? { vector: optionalString(v.vector_string ?? v.vectorString), version: optionalString(v.version) }
        : undefined;
    map.set(id, { v2: detail(entry.cvss_v2 ?? entry.cvssV2), v3: detail(entry.cvss_v3 ?? entry.cvssV3) });
  }
  return map;
}

/** Scores of `nvd_data` / `vendor_data` (`[{id, cvss_v2{base_score,…}, cvss_v3{…}}]`); -1 means "none". */
function scoreList(
  value: unknown,
  source: "nvd" | "vendor",
  sourceName: string,
  details: NvdDetails | undefined,
  id: string,
  nvdIds: string[],
): CvssEntry[] {
  if (!Array.isArray(value)) return [];
  const out: CvssEntry[] = [];
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const scoredId = optionalString(entry.id);
    if (source === "nvd" && scoredId && scoredId !== id && !nvdIds.includes(scoredId)) nvdIds.push(scoredId);
    const detail = scoredId ? details?.get(scoredId) : undefined;
    for (const [snake, camel, major] of [
      ["cvss_v2", "cvssV2", "2"],
      ["cvss_v3", "cvssV3", "3"],
    ] as const) {
      const scores = field(entry, snake, camel);
      if (!isObject(scores)) continue;
      const baseScore = optionalNumber(field(scores, "base_score", "baseScore"));
      if (baseScore === undefined || baseScore < 0 || baseScore > 10) continue;
      const extra = major === "2" ? detail?.v2 : detail?.v3;
      const vector = extra?.vector;
      const exploitabilityScore = optionalNumber(
        field(scores, "exploitability_score", "exploitabilityScore"),
      );
      const impactScore = optionalNumber(field(scores, "impact_score", "impactScore"));
      out.push({
        version: extra?.version ?? cvssVersion(vector, major === "2" ? "2.0" : "3.1"),
        source,
        sourceName,
        baseScore,
        ...(exploitabilityScore !== undefined && exploitabilityScore >= 0 ? { exploitabilityScore } : {}),
        ...(impactScore !== undefined && impactScore >= 0 ? { impactScore } : {}),
        ...(vector ? { vector } : {}),
      });
    }
  }
  return out;
}

/** The policy engine's `cvss` lists (`[{base_score, exploitability_score, impact_score, vector, version}]`). */
function cvssList(value: unknown, source: "nvd" | "vendor", sourceName: string): CvssEntry[] {
  if (!Array.isArray(value)) return [];
  const out: CvssEntry[] = [];
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const baseScore = optionalNumber(entry.base_score);
    if (baseScore === undefined || baseScore < 0 || baseScore > 10) continue;
    const vector = optionalString(entry.vector);
    const exploitabilityScore = optionalNumber(entry.exploitability_score);
    const impactScore = optionalNumber(entry.impact_score);
    out.push({
      version: optionalString(entry.version) ?? cvssVersion(vector, "3.1"),
      source,
      sourceName,
      baseScore,
      ...(exploitabilityScore !== undefined && exploitabilityScore >= 0 ? { exploitabilityScore } : {}),
      ...(impactScore !== undefined && impactScore >= 0 ? { impactScore } : {}),
      ...(vector ? { vector } : {}),
    });
  }
  return out;
}

function fix(versions: string[], willNotFix: boolean): { state: FixState; versions: string[] } {
  if (willNotFix) return { state: "wont-fix", versions };
  return versions.length > 0 ? { state: "fixed", versions } : { state: "not-fixed", versions: [] };
}

/** Anchore's package type as ours (`APKG` is anchore-engine's word for Alpine packages). */
function packageType(word: unknown): string {
  const type = normalizePackageType(optionalString(word));
  return type === "apkg" ? "apk" : type;
}

/**
 * Name and version out of Anchore's `name-version` package text: RPMs split before `version-release`,
 * dpkg packages at the first `-` before a digit (Debian versions hold hyphens), others at the last one.
 */
export function splitPackage(text: string, type: string): { name: string; version: string } {
  let at = -1;
  if (type === "rpm") {
    const last = text.lastIndexOf("-");
    at = last > 0 ? text.lastIndexOf("-", last - 1) : -1;
  } else if (type === "dpkg") {
    for (let i = 1; i < text.length - 1; i++) {
      if (text[i] === "-" && isDigit(text.charCodeAt(i + 1))) {
        at = i;
        break;
      }
    }
  } else {
    for (let i = text.length - 2; i > 0; i--) {
      if (text[i] === "-" && isDigit(text.charCodeAt(i + 1))) {
        at = i;
        break;
      }
    }
  }
  return at > 0 ? { name: text.slice(0, at), version: text.slice(at + 1) } : { name: text, version: "" };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
