import type { CvssEntry, Distro, FixState, Layer, Vulnerability } from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  optionalTime,
  stringList,
} from "../document-reader.js";
import { distroId } from "../normalize/distro-id.js";
import { bandedSeverity, cvssVersion, digestOf, shortDescription } from "../normalize/finding-fields.js";
import { decodeBase64Json, fromOciImageConfig } from "../normalize/oci-image-config.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { normalizeSeverity } from "../normalize/severity.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { splitRelatedIds } from "./findings-common.js";

const FORMAT_NAME = "Grype JSON";
const OS_PACKAGE_TYPES = new Set(["dpkg", "rpm", "apk"]);

// Grype's fix.state words onto ours; "" and "unknown" say nothing.
const FIX_STATES: Record<string, FixState> = {
  fixed: "fixed",
  "not-fixed": "not-fixed",
  "wont-fix": "wont-fix",
  unknown: "unknown",
};

/**
 * Grype JSON (`grype -o json`): `matches[]` of a vulnerability, the NVD records it relates to, and the matched
 * artifact; `source` (the image), `distro` and `descriptor` (grype and its database).
 */
export const grypeFormat: ReportFormat = {
  id: "grype",
  name: FORMAT_NAME,
  kind: "scanner",
  shape: 'a "matches" list (with "descriptor", "source" or "distro")',
  detect(document: unknown): boolean {
    if (!isObject(document) || !Array.isArray(document.matches)) return false;
    if (isObject(document.descriptor) && document.descriptor.name === "grype") return true;
    if ("source" in document || "distro" in document) return true;
    const first = document.matches[0];
    return isObject(first) && isObject(first.vulnerability) && isObject(first.artifact);
  },
  parse(document: unknown, source: string): ParsedReport {
    const reader = new DocumentReader(FORMAT_NAME, source);
    const doc = reader.object(document, "$");
    const descriptor = isObject(doc.descriptor) ? doc.descriptor : {};
    const db = isObject(descriptor.db) ? descriptor.db : {};
    // A database with the KEV provider says "not known exploited" by leaving the field out.
    const kevKnown = isObject(db.providers) && "kev" in db.providers;

    const vulnerabilities: Vulnerability[] = [];
    // Findings by id, compared field by field: no composite key string per match.
    const byId = new Map<string, Vulnerability[]>();
    let repeats = 0;
    const matches = reader.array(doc.matches, "$.matches");
    for (let i = 0; i < matches.length; i++) {
      const vuln = readMatch(reader, matches[i], i, kevKnown);
      const sameId = byId.get(vuln.id);
      if (sameId?.some((other) => samePackage(other, vuln))) {
        repeats++;
        continue;
      }
      if (sameId) sameId.push(vuln);
      else byId.set(vuln.id, [vuln]);
      vulnerabilities.push(vuln);
    }

    const version = optionalString(descriptor.version);
    const report: ParsedReport = {
      format: "grype",
      scanner: { name: "grype", ...(version ? { version } : {}) },
      packages: [],
      vulnerabilities,
      notes: [],
    };
    const producedAt = optionalTime(descriptor.timestamp);
    if (producedAt) report.producedAt = producedAt;
    const built = optionalTime(db.built) ?? (isObject(db.status) ? optionalTime(db.status.built) : undefined);
    if (built) report.dbUpdatedAt = built;
    readSource(reader, doc.source, report);
    const distro = grypeDistro(doc.distro);
    if (distro) report.distro = distro;

    if (repeats > 0) {
      report.notes.push(
        `${repeats} repeated matches (same id, package and location, another matcher) were merged.`,
      );
    }
    const ignored = Array.isArray(doc.ignoredMatches) ? doc.ignoredMatches.length : 0;
    if (ignored > 0)
      report.notes.push(`Grype's own ignore rules hid ${ignored} matches; they are not in the findings.`);
    if (vulnerabilities.length > 0) {
      report.notes.push(
        "Grype lists only the packages it matched, so the report gives no package inventory.",
      );
    }
    return report;
  },
};

function samePackage(a: Vulnerability, b: Vulnerability): boolean {
  const p = a.package;
  const q = b.package;
  return p.name === q.name && p.version === q.version && p.type === q.type && p.path === q.path;
}

function readMatch(reader: DocumentReader, value: unknown, index: number, kevKnown: boolean): Vulnerability {
  // Paths are built only for an error: this runs once per match of a 10 MB report.
  const match = isObject(value) ? value : reader.object(value, `$.matches[${index}]`);
  const v = isObject(match.vulnerability)
    ? match.vulnerability
    : requiredObject(reader, match.vulnerability, `$.matches[${index}].vulnerability`);
  const a = isObject(match.artifact)
    ? match.artifact
    : requiredObject(reader, match.artifact, `$.matches[${index}].artifact`);
  const id =
    typeof v.id === "string" && v.id !== ""
      ? v.id
      : reader.requiredString(v.id, `$.matches[${index}].vulnerability.id`);
  const name =
    typeof a.name === "string" && a.name !== ""
      ? a.name
      : reader.requiredString(a.name, `$.matches[${index}].artifact.name`);
  const type = normalizePackageType(optionalString(a.type));
  const pkg: Vulnerability["package"] = { name, version: optionalString(a.version) ?? "", type };
  if (!OS_PACKAGE_TYPES.has(type)) {
    const pkgPath = artifactPath(a);
    if (pkgPath !== undefined) pkg.path = pkgPath;
  }
  const purl = optionalString(a.purl);
  if (purl !== undefined) pkg.purl = purl;
  const namespace = optionalString(v.namespace) ?? "";

  let cvss = addCvss(undefined, v.cvss, namespace.startsWith("nvd"), namespace);
  const relatedIds: string[] = [];
  let nvdDescription: string | undefined;
  let nvdUrl: string | undefined;
  const relatedList = match.relatedVulnerabilities;
  if (Array.isArray(relatedList)) {
    for (let i = 0; i < relatedList.length; i++) {
      const related = relatedList[i];
      if (!isObject(related)) continue;
      const relatedId = optionalString(related.id);
      if (relatedId && relatedId !== id) relatedIds.push(relatedId);
      const relatedNamespace = optionalString(related.namespace) ?? "";
      const isNvd = relatedNamespace.startsWith("nvd");
      cvss = addCvss(cvss, related.cvss, isNvd, relatedNamespace);
      if (isNvd) {
        nvdDescription ??= optionalString(related.description);
        nvdUrl ??= optionalString(related.dataSource);
      }
    }
  }

  const vuln: Vulnerability = {
    id,
    package: pkg,
    severity: normalizeSeverity(optionalString(v.severity)) ?? bandedSeverity(cvss) ?? "unknown",
    fix: grypeFix(v.fix),
    sources: ["grype"],
  };
  if (cvss) vuln.cvss = cvss;
  // Related ids alias the finding only one-to-one (GHSA -> CVE); an advisory's several CVEs stay apart
  const related = splitRelatedIds(id, relatedIds);
  if (related.aliases) vuln.aliases = related.aliases;
  if (related.advisories) vuln.advisories = related.advisories;
  const epss = grypeEpss(v.epss, id);
  if (epss) vuln.epss = epss;
  const kev = v.knownExploited;
  if (Array.isArray(kev)) vuln.knownExploited = kev.length > 0;
  else if (typeof kev === "boolean") vuln.knownExploited = kev;
  else if (kevKnown) vuln.knownExploited = false;
  const url =
    optionalString(v.dataSource) ?? (Array.isArray(v.urls) ? optionalString(v.urls[0]) : undefined) ?? nvdUrl;
  if (url) vuln.url = url;
  const description = optionalString(v.description) ?? nvdDescription;
  if (description) vuln.description = shortDescription(description);
  return vuln;
}

function requiredObject(reader: DocumentReader, value: unknown, path: string): JsonObject {
  if (value === undefined) throw reader.invalid(path, "a required object is missing");
  return reader.object(value, path);
}

/** Grype `cvss[]` entries (`{source, version, vector, metrics: {baseScore, …}}`) added to `out` unless listed. */
function addCvss(
  out: CvssEntry[] | undefined,
  list: unknown,
  nvdByDefault: boolean,
  namespace: string,
): CvssEntry[] | undefined {
  if (!Array.isArray(list)) return out;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isObject(item) || !isObject(item.metrics)) continue;
    const metrics = item.metrics;
    const baseScore = optionalNumber(metrics.baseScore);
    if (baseScore === undefined || baseScore < 0 || baseScore > 10) continue;
    const vector = optionalString(item.vector);
    const declared = optionalString(item.version);
    const version = vector ? cvssVersion(vector, declared ?? "2.0") : (declared ?? "unknown");
    const scorer = optionalString(item.source);
    const source = scorer ? (scorer.startsWith("nvd") ? "nvd" : "vendor") : nvdByDefault ? "nvd" : "vendor";
    if (out && listed(out, source, version, baseScore, vector)) continue;
    const entry: CvssEntry = { version, source, baseScore };
    const sourceName = scorer ?? (namespace || undefined);
    if (sourceName) entry.sourceName = sourceName;
    const exploitability = optionalNumber(metrics.exploitabilityScore);
    if (exploitability !== undefined && exploitability >= 0) entry.exploitabilityScore = exploitability;
    const impact = optionalNumber(metrics.impactScore);
    if (impact !== undefined && impact >= 0) entry.impactScore = impact;
    if (vector) entry.vector = vector;
    if (out) out.push(entry);
    else out = [entry];
  }
  return out;
}

/** True when the same score from the same kind of source is already listed (a related record repeating it). */
function listed(
  out: CvssEntry[],
  source: string,
  version: string,
  baseScore: number,
  vector: string | undefined,
): boolean {
  for (let i = 0; i < out.length; i++) {
    const e = out[i] as CvssEntry;
    if (e.source === source && e.version === version && e.baseScore === baseScore && e.vector === vector)
      return true;
  }
  return false;
}

function grypeFix(value: unknown): Vulnerability["fix"] {
  if (!isObject(value)) return { state: "unknown", versions: [] };
  const versions = stringList(value.versions);
  const word = optionalString(value.state);
  const state = word === undefined ? undefined : FIX_STATES[word];
  // An empty or unknown state with fixed-in versions still names a fix.
  if (state === undefined || state === "unknown")
    return { state: versions.length > 0 ? "fixed" : "unknown", versions };
  return { state, versions };
}

/** The EPSS entry for this vulnerability (Grype lists one per CVE, so a GHSA's may name its CVE). */
function grypeEpss(value: unknown, id: string): Vulnerability["epss"] {
  if (!Array.isArray(value)) return undefined;
  let chosen: JsonObject | undefined;
  for (const item of value) {
    if (!isObject(item)) continue;
    if (chosen === undefined || item.cve === id) chosen = item;
  }
  if (!chosen) return undefined;
  const score = optionalNumber(chosen.epss);
  if (score === undefined) return undefined;
  const epss: NonNullable<Vulnerability["epss"]> = { score };
  const percentile = optionalNumber(chosen.percentile);
  if (percentile !== undefined) epss.percentile = percentile;
  const date = optionalString(chosen.date);
  if (date) epss.date = date;
  return epss;
}

/** Where a language artifact is: the archive path for nested Java archives, else its first location. */
function artifactPath(artifact: JsonObject): string | undefined {
  if (isObject(artifact.metadata)) {
    const virtual = optionalString(artifact.metadata.virtualPath);
    if (virtual) return virtual;
  }
  if (!Array.isArray(artifact.locations)) return undefined;
  const first = artifact.locations[0];
  return isObject(first) ? optionalString(first.path) : undefined;
}

/** Fills image, platform, config and layers from Grype's (and Syft's) `source`. */
export function readSource(reader: DocumentReader, value: unknown, report: ParsedReport): void {
  if (value === undefined || value === null) return;
  const source = reader.object(value, "$.source");
  const type = optionalString(source.type);
  // Syft 1.x keeps the image under `metadata`, older Syft and Grype under `target`.
  const target = isObject(source.target)
    ? source.target
    : isObject(source.metadata)
      ? source.metadata
      : undefined;
  if (type !== undefined && type !== "image") {
    const where =
      typeof source.target === "string" ? source.target : target ? optionalString(target.path) : undefined;
    report.notes.push(`${report.scanner.name} scanned a ${type}${where ? ` (${where})` : ""}, not an image.`);
    return;
  }
  if (!target) return;
  const repoDigests = stringList(target.repoDigests);
  const ref = optionalString(target.userInput) ?? stringList(target.tags)[0];
  const digest = digestOf(repoDigests[0]) ?? optionalString(target.manifestDigest);
  const imageId = optionalString(target.imageID);
  if (ref || digest || imageId) {
    report.image = {
      ...(ref ? { ref } : {}),
      ...(digest ? { digest } : {}),
      ...(imageId ? { imageId } : {}),
      ...(repoDigests.length > 0 ? { repoDigests } : {}),
    };
  }
  const { config, platform } = fromOciImageConfig(decodeBase64Json(target.config));
  if (config) report.config = config;
  const architecture = optionalString(target.architecture);
  const os = optionalString(target.os);
  if (platform) report.platform = platform;
  else if (architecture && os) report.platform = { os, architecture };
  if (Array.isArray(target.layers)) {
    const layers: Layer[] = [];
    for (const item of target.layers) {
      if (!isObject(item)) continue;
      const layerDigest = optionalString(item.digest);
      if (!layerDigest) continue;
      const size = optionalNumber(item.size);
      const mediaType = optionalString(item.mediaType);
      layers.push({
        digest: layerDigest,
        ...(size !== undefined ? { size } : {}),
        ...(mediaType ? { mediaType } : {}),
      });
    }
    if (layers.length > 0) report.layers = layers;
  }
}

/** Grype's and Syft's `distro` (`{name, version, idLike}`, or Syft 1.x `{id, versionID, …}`) as os-release terms. */
export function grypeDistro(value: unknown): Distro | undefined {
  if (!isObject(value)) return undefined;
  const id = optionalString(value.id);
  const name = id ?? optionalString(value.name);
  if (!name) return undefined;
  const version = optionalString(value.versionID) ?? optionalString(value.version);
  const like =
    typeof value.idLike === "string"
      ? value.idLike.split(" ").filter((w) => w !== "")
      : stringList(value.idLike);
  return {
    name: id ?? distroId(name),
    ...(version ? { version } : {}),
    ...(like.length > 0 ? { like } : {}),
  };
}
