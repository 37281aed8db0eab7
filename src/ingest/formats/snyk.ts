import type { CvssEntry, Distro, FixState, Package, Platform, Vulnerability } from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  optionalTime,
  stringList,
} from "../document-reader.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { normalizeSeverity, severityFromCvss } from "../normalize/severity.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { cvssVersion, type RelatedIds, shortDescription, splitRelatedIds } from "./findings-common.js";

const SCANNER = "snyk";

// Snyk's package-manager and distro words that the shared table does not know.
const SNYK_TYPES: Record<string, string> = {
  rhel: "rpm",
  amzn: "rpm",
  ol: "rpm",
  oraclelinux: "rpm",
  sles: "rpm",
  rubygems: "gem",
  gomodules: "go",
  golangdep: "go",
  govendor: "go",
  sbt: "java",
};

// Package managers whose findings are OS packages (top-level `packageManager` of a container result).
const OS_MANAGERS = new Set(["deb", "apk", "rpm", "linux", "dpkg"]);

/** Snyk `snyk container test --json` (and `snyk test --json`, `--all-projects` arrays of such results). */
export const snykFormat: ReportFormat = {
  id: "snyk",
  name: "Snyk container JSON",
  kind: "scanner",
  shape: '"packageManager", "vulnerabilities" and "projectName" or "path"',
  detect(document: unknown): boolean {
    if (Array.isArray(document)) return document.length > 0 && isSnykResult(document[0]);
    return isSnykResult(document) || isSnykError(document);
  },
  parse: parseSnyk,
};

function isSnykResult(value: unknown): boolean {
  if (!isObject(value) || typeof value.packageManager !== "string" || !Array.isArray(value.vulnerabilities))
    return false;
  if (typeof value.projectName !== "string" && typeof value.path !== "string") return false;
  return typeof value.ok === "boolean" || "uniqueCount" in value || "dependencyCount" in value;
}

function isSnykError(value: unknown): boolean {
  return (
    isObject(value) && value.ok === false && typeof value.error === "string" && !("vulnerabilities" in value)
  );
}

/**
 * Reads a Snyk test result, or an array of them, including the application results a container test
 * nests under `applications`. Snyk lists a vulnerability once per dependency path (the same id, package
 * and version repeated with a different `from`); those repeats become one finding, and a note says how
 * many entries were merged. The package is Snyk's `packageName` (the source package for OS findings),
 * the id the single CVE when Snyk names exactly one (else the single GHSA, else Snyk's id), with the
 * other identifiers as aliases so findings merge with other scanners'.
 */
function parseSnyk(document: unknown, source: string): ParsedReport {
  const r = new DocumentReader("Snyk", source);
  if (isSnykError(document)) {
    const error = (document as JsonObject).error;
    throw r.invalid("error", `Snyk reported an error instead of results: ${String(error).slice(0, 300)}`);
  }
  const top = Array.isArray(document)
    ? document.map((d, i) => r.object(d, `[${i}]`))
    : [r.object(document, "(document)")];
  if (top.length === 0) throw r.invalid("(document)", "an empty array holds no Snyk results");
  const results: { result: JsonObject; path: string }[] = [];
  top.forEach((result, i) => {
    const base = Array.isArray(document) ? `[${i}]` : "";
    results.push({ result, path: base });
    r.array(result.applications, `${base}.applications`).forEach((app, j) => {
      results.push({
        result: r.object(app, `${base}.applications[${j}]`),
        path: `${base}.applications[${j}]`,
      });
    });
  });

  const findings = new Map<string, Vulnerability>();
  const notes: string[] = [];
  let entries = 0;
  let licenseIssues = 0;
  let ignored = 0;
  let distro: Distro | undefined;
  for (const { result, path } of results) {
    const manager = optionalString(result.packageManager)?.toLowerCase() ?? "";
    const location = OS_MANAGERS.has(manager)
      ? undefined
      : (optionalString(result.targetFile) ?? optionalString(result.displayTargetFile));
    const filtered = isObject(result.filtered) ? result.filtered : undefined;
    if (filtered && Array.isArray(filtered.ignore)) ignored += filtered.ignore.length;
    const list = r.array(result.vulnerabilities, `${path}.vulnerabilities`);
    for (let i = 0; i < list.length; i++) {
      const at = `${path}.vulnerabilities[${i}]`;
      const v = r.object(list[i], at);
      if (v.type === "license") {
        licenseIssues++;
        continue;
      }
      entries++;
      const finding = readVulnerability(r, v, at, manager, location);
      if (!distro) distro = distroOf(v.packageManager);
      const key = `${finding.id}\u0000${finding.package.name}\u0000${finding.package.version}\u0000${finding.package.path ?? ""}`;
      const seen = findings.get(key);
      if (!seen) findings.set(key, finding);
      else if (finding.aliases) {
        const aliases = new Set([...(seen.aliases ?? []), ...finding.aliases]);
        aliases.delete(seen.id);
        seen.aliases = [...aliases];
      }
    }
  }
  const vulnerabilities = [...findings.values()];
  if (entries > vulnerabilities.length) {
    notes.push(
      `Snyk lists a vulnerability once per dependency path: ${entries} entries were merged into ${vulnerabilities.length} findings (one per vulnerability and package)`,
    );
  }
  if (licenseIssues > 0)
    notes.push(`Snyk: ${licenseIssues} license issue${licenseIssues === 1 ? "" : "s"} (not vulnerabilities)`);
  if (ignored > 0)
    notes.push(
      `Snyk: ${ignored} issue${ignored === 1 ? "" : "s"} ignored by the Snyk policy file are not in the report`,
    );

  const first = top[0] as JsonObject;
  const docker = isObject(first.docker) ? first.docker : undefined;
  const baseImage = docker ? optionalString(docker.baseImage) : undefined;
  if (baseImage) notes.push(`Snyk: base image ${baseImage}`);

  const report: ParsedReport = {
    format: "snyk",
    scanner: { name: SCANNER },
    packages: packagesOf(vulnerabilities),
    inventory: "partial",
    vulnerabilities,
    notes,
  };
  const image = imageOf(first, docker);
  if (image) report.image = image;
  if (distro) report.distro = distro;
  const platform = platformOf(first.platform);
  if (platform) report.platform = platform;
  return report;
}

function readVulnerability(
  r: DocumentReader,
  v: JsonObject,
  at: string,
  resultManager: string,
  location: string | undefined,
): Vulnerability {
  const snykId = r.requiredString(v.id, `${at}.id`);
  const name =
    optionalString(v.packageName) ?? optionalString(v.moduleName) ?? r.requiredString(v.name, `${at}.name`);
  const version = r.requiredString(v.version, `${at}.version`);
  const vulnManager = optionalString(v.packageManager)?.toLowerCase();
  const type = packageType(vulnManager ?? resultManager);
  const isOs = vulnManager?.includes(":") || OS_MANAGERS.has(resultManager);

  const identifiers = isObject(v.identifiers) ? v.identifiers : {};
  const cves = stringList(identifiers.CVE);
  const ghsas = stringList(identifiers.GHSA);
  const id =
    cves.length === 1
      ? (cves[0] as string)
      : cves.length === 0 && ghsas.length === 1
        ? (ghsas[0] as string)
        : snykId;
  // Snyk's id with several CVEs names an issue covering them: they are its advisories, never aliases to merge on
  const related: RelatedIds =
    id === snykId ? splitRelatedIds(id, [...cves, ...ghsas]) : { aliases: [snykId, ...cves, ...ghsas] };
  const aliases = [...new Set(related.aliases ?? [])].filter((a) => a !== id);

  const cvss = cvssOf(v);
  const score = optionalNumber(v.cvssScore);
  const severity =
    normalizeSeverity(optionalString(v.severityWithCritical)) ??
    normalizeSeverity(optionalString(v.severity)) ??
    (score !== undefined ? severityFromCvss(score) : "unknown");

  const fixedIn = Array.isArray(v.fixedIn) ? stringList(v.fixedIn) : undefined;
  const fixState: FixState = fixedIn === undefined ? "unknown" : fixedIn.length > 0 ? "fixed" : "not-fixed";

  const finding: Vulnerability = {
    id,
    package: { name, version, type, ...(location !== undefined && !isOs ? { path: location } : {}) },
    severity,
    fix: { state: fixState, versions: fixedIn ?? [] },
    sources: [SCANNER],
  };
  if (aliases.length > 0) finding.aliases = aliases;
  if (related.advisories) finding.advisories = related.advisories;
  if (cvss.length > 0) finding.cvss = cvss;
  const epss = isObject(v.epssDetails) ? v.epssDetails : undefined;
  const epssScore = epss ? optionalNumber(epss.probability) : undefined;
  if (epss && epssScore !== undefined) {
    const percentile = optionalNumber(epss.percentile);
    finding.epss = { score: epssScore, ...(percentile !== undefined ? { percentile } : {}) };
  }
  const published = optionalTime(v.publicationTime) ?? optionalTime(v.disclosureTime);
  if (published) finding.publishedAt = published;
  const url = snykId.startsWith("SNYK-")
    ? `https://security.snyk.io/vuln/${snykId}`
    : firstReference(v.references);
  if (url) finding.url = url;
  const description = describe(optionalString(v.title), optionalString(v.description));
  if (description) finding.description = description;
  return finding;
}

function cvssOf(v: JsonObject): CvssEntry[] {
  const out: CvssEntry[] = [];
  const own = optionalString(v.CVSSv3);
  const ownScore = optionalNumber(v.cvssScore);
  if (own && ownScore !== undefined) {
    out.push({
      version: cvssVersion(own, "3.0"),
      source: "vendor",
      sourceName: "snyk",
      baseScore: ownScore,
      vector: own,
    });
  }
  if (Array.isArray(v.cvssDetails)) {
    for (const d of v.cvssDetails) {
      if (!isObject(d)) continue;
      const score = optionalNumber(d.cvssV3BaseScore);
      if (score === undefined) continue;
      const assigner = optionalString(d.assigner);
      const vector = optionalString(d.cvssV3Vector);
      out.push({
        version: cvssVersion(vector, "3.0"),
        source: assigner?.toLowerCase() === "nvd" ? "nvd" : "vendor",
        ...(assigner !== undefined ? { sourceName: assigner } : {}),
        baseScore: score,
        ...(vector !== undefined ? { vector } : {}),
      });
    }
  }
  return out;
}

function packageType(manager: string): string {
  const word = manager.split(":")[0] ?? "";
  return SNYK_TYPES[word] ?? normalizePackageType(word);
}

function distroOf(manager: unknown): Distro | undefined {
  const text = optionalString(manager);
  const colon = text?.indexOf(":") ?? -1;
  if (!text || colon <= 0) return undefined;
  const version = text.slice(colon + 1);
  return { name: text.slice(0, colon).toLowerCase(), ...(version !== "" ? { version } : {}) };
}

function platformOf(value: unknown): Platform | undefined {
  const text = optionalString(value);
  if (!text) return undefined;
  const [os, architecture, variant] = text.split("/");
  if (!os || !architecture) return undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

// A container result names the image in `projectName` (`docker-image|name`) and its tag in the root of each `from` path.
function imageOf(result: JsonObject, docker: JsonObject | undefined): ParsedReport["image"] | undefined {
  const project = optionalString(result.projectName);
  if (!project?.startsWith("docker-image|")) return undefined;
  const name = project.slice("docker-image|".length);
  let ref: string | undefined;
  const vulns = Array.isArray(result.vulnerabilities) ? result.vulnerabilities : [];
  const firstVuln = vulns.find(isObject);
  const root = firstVuln && Array.isArray(firstVuln.from) ? optionalString(firstVuln.from[0]) : undefined;
  if (root?.startsWith(`docker-image|${name}@`)) {
    const tag = root.slice(`docker-image|${name}@`.length);
    ref = tag.startsWith("sha256:") ? `${name}@${tag}` : `${name}:${tag}`;
  }
  ref ??= optionalString(result.path) ?? name;
  const imageId = docker ? optionalString(docker.imageId) : undefined;
  return { ref, ...(imageId ? { imageId } : {}) };
}

function packagesOf(vulnerabilities: Vulnerability[]): Package[] {
  const seen = new Map<string, Package>();
  for (const v of vulnerabilities) {
    const p = v.package;
    const key = `${p.type}\u0000${p.name}\u0000${p.version}\u0000${p.path ?? ""}`;
    if (!seen.has(key))
      seen.set(key, { name: p.name, version: p.version, type: p.type, ...(p.path ? { path: p.path } : {}) });
  }
  return [...seen.values()];
}

function firstReference(references: unknown): string | undefined {
  if (!Array.isArray(references)) return undefined;
  for (const ref of references) if (isObject(ref) && optionalString(ref.url)) return optionalString(ref.url);
  return undefined;
}

const BARE_ID = /^(CVE-\d{4}-\d+|GHSA(-[0-9a-z]{4}){3}|SNYK-[A-Z0-9-]+)$/i;

// The title when it says something ("Authorization Bypass"), else the first prose paragraph of the Markdown description.
function describe(title: string | undefined, markdown: string | undefined): string | undefined {
  if (title && !BARE_ID.test(title)) return title;
  if (!markdown) return title;
  for (const paragraph of markdown.split(/\n\s*\n/)) {
    const text = paragraph.trim();
    if (text === "" || text.startsWith("#") || text.startsWith("**_Note") || text.startsWith("_See"))
      continue;
    return shortDescription(text);
  }
  return title;
}
