import type {
  CvssEntry,
  Distro,
  FixState,
  Layer,
  Package,
  SecretFinding,
  Severity,
  Vulnerability,
} from "../../model/index.js";
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
import { fromOciImageConfig } from "../normalize/oci-image-config.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { normalizeSeverity } from "../normalize/severity.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { splitRelatedIds } from "./findings-common.js";

const FORMAT_NAME = "Trivy JSON";
const OS_PACKAGE_TYPES = new Set(["dpkg", "rpm", "apk"]);

// Trivy's vulnerability Status values onto our fix states (an absent Status is decided by FixedVersion).
const FIX_STATES: Record<string, FixState> = {
  fixed: "fixed",
  affected: "not-fixed",
  fix_deferred: "not-fixed",
  will_not_fix: "wont-fix",
  end_of_life: "end-of-life",
  under_investigation: "unknown",
  not_affected: "unknown",
  unknown: "unknown",
};

/**
 * Trivy JSON reports: the SchemaVersion 2 object (`trivy image|fs|rootfs --format json`), the legacy
 * top-level list of `{Target, Type, Vulnerabilities}` and the legacy literal `null` of a clean scan.
 */
export const trivyFormat: ReportFormat = {
  id: "trivy",
  name: FORMAT_NAME,
  kind: "scanner",
  shape: 'a numeric "SchemaVersion" with "Results" or "ArtifactName", or a list of results with "Target"',
  detect(document: unknown): boolean {
    if (document === null) return true;
    if (Array.isArray(document)) {
      const first = document[0];
      return (
        isObject(first) && typeof first.Target === "string" && ("Vulnerabilities" in first || "Type" in first)
      );
    }
    if (!isObject(document) || "ClusterName" in document) return false;
    return (
      typeof document.SchemaVersion === "number" &&
      ("Results" in document || "ArtifactName" in document || "ArtifactType" in document)
    );
  },
  parse(document: unknown, source: string): ParsedReport {
    const reader = new DocumentReader(FORMAT_NAME, source);
    if (document === null) {
      return {
        format: "trivy",
        scanner: { name: "trivy" },
        packages: [],
        vulnerabilities: [],
        notes: [
          "The report is the JSON value null: Trivy's legacy output for a scan that found no vulnerabilities.",
        ],
      };
    }
    if (Array.isArray(document)) return parseLegacy(reader, document);
    return parseSchemaV2(reader, reader.object(document, "$"));
  },
};

function parseLegacy(reader: DocumentReader, results: unknown[]): ParsedReport {
  const collected = new TrivyResults(reader, false);
  for (let i = 0; i < results.length; i++) collected.read(results[i], `$[${i}]`);
  return {
    format: "trivy",
    scanner: { name: "trivy" },
    // Legacy reports name the image only in the OS result's target: `name (distro version)`
    ...(collected.targetImage ? { image: { ref: collected.targetImage } } : {}),
    ...(collected.distro ? { distro: collected.distro } : {}),
    packages: collected.packages,
    vulnerabilities: collected.vulnerabilities,
    ...(collected.secrets.length > 0 ? { secrets: collected.secrets } : {}),
    notes: collected.notes(),
  };
}

const NO_PACKAGES_SCANNED =
  "Trivy scanned no packages (no operating system or language files detected, or vulnerability scanning off): the report holds no vulnerability data, which is not the same as no vulnerabilities.";

function parseSchemaV2(reader: DocumentReader, doc: JsonObject): ParsedReport {
  const artifactType = optionalString(doc.ArtifactType);
  const isImage = artifactType === undefined || artifactType === "container_image";
  const collected = new TrivyResults(reader, artifactType === "container_image");
  const results = reader.array(doc.Results, "$.Results");
  for (let i = 0; i < results.length; i++) collected.read(results[i], `$.Results[${i}]`);

  const report: ParsedReport = {
    format: "trivy",
    scanner: { name: "trivy", ...versionOf(doc.Trivy) },
    packages: collected.packages,
    vulnerabilities: collected.scannedPackages ? collected.vulnerabilities : undefined,
    notes: collected.notes(),
  };
  // Trivy leaves Results out when it found no OS and no language files: that is no data, not no findings
  if (!collected.scannedPackages) report.notes.unshift(NO_PACKAGES_SCANNED);
  const producedAt = optionalTime(doc.CreatedAt);
  if (producedAt) report.producedAt = producedAt;
  const metadata =
    doc.Metadata === undefined || doc.Metadata === null ? {} : reader.object(doc.Metadata, "$.Metadata");
  if (isImage) {
    const image = trivyImage(doc, metadata);
    if (image) report.image = image;
  } else if (artifactType) {
    report.notes.unshift(
      `Trivy scanned a ${artifactType} (${optionalString(doc.ArtifactName) ?? "unnamed"}), not an image.`,
    );
  }
  const distro = trivyDistro(metadata.OS) ?? collected.distro;
  if (distro) report.distro = distro;
  const { config, platform } = fromOciImageConfig(metadata.ImageConfig);
  if (config) report.config = config;
  if (platform) report.platform = platform;
  const layers = trivyLayers(metadata.Layers);
  if (layers) report.layers = layers;
  if (collected.secrets.length > 0) report.secrets = collected.secrets;
  return report;
}

/** `{version}` of a `{"Version": "0.50.1"}` object, or nothing. */
function versionOf(value: unknown): { version?: string } {
  const version = isObject(value) ? optionalString(value.Version) : undefined;
  return version ? { version } : {};
}

/** What a Trivy report says about the scanned image: the reference as given, repo digests, image id. */
function trivyImage(doc: JsonObject, metadata: JsonObject): ParsedReport["image"] {
  const repoDigests = stringList(metadata.RepoDigests);
  const repoTags = stringList(metadata.RepoTags);
  const artifactName = optionalString(doc.ArtifactName);
  // A tarball scan names a file; the image's own tag then says better which image it was.
  const ref =
    artifactName && !looksLikeFile(artifactName)
      ? artifactName
      : (optionalString(metadata.Reference) ?? repoTags[0] ?? artifactName);
  const imageId = optionalString(metadata.ImageID);
  const digest = digestOf(repoDigests[0]);
  if (!ref && !imageId && !digest) return undefined;
  return {
    ...(ref ? { ref } : {}),
    ...(digest ? { digest } : {}),
    ...(imageId ? { imageId } : {}),
    ...(repoDigests.length > 0 ? { repoDigests } : {}),
  };
}

function looksLikeFile(name: string): boolean {
  return (
    name.startsWith("/") ||
    name.startsWith(".") ||
    name.endsWith(".tar") ||
    name.endsWith(".tar.gz") ||
    name.endsWith(".tgz")
  );
}

/** Trivy's `Metadata.OS` (`{Family: "redhat", Name: "8.7"}`) as an os-release id and version. */
function trivyDistro(value: unknown): Distro | undefined {
  if (!isObject(value)) return undefined;
  const family = optionalString(value.Family);
  if (!family) return undefined;
  const name = optionalString(value.Name);
  // Amazon Linux reads `2 (Karoo)`; os-release VERSION_ID is the number alone.
  const version = name?.includes(" (") ? name.slice(0, name.indexOf(" (")) : name;
  return { name: distroId(family), ...(version ? { version } : {}) };
}

function trivyLayers(value: unknown): Layer[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const layers: Layer[] = [];
  for (const item of value) {
    if (!isObject(item)) continue;
    const digest = optionalString(item.Digest) ?? optionalString(item.DiffID);
    if (!digest) continue;
    const size = optionalNumber(item.Size);
    layers.push(size !== undefined ? { digest, size } : { digest });
  }
  return layers.length > 0 ? layers : undefined;
}

/**
 * Findings of Trivy `Results[]` entries gathered over one report, or over every resource of a cluster
 * report: vulnerabilities one per (id, package, location), packages, secrets, and counts of what the facts
 * do not model (misconfigurations, licenses, custom resources) for the notes.
 */
export class TrivyResults {
  readonly vulnerabilities: Vulnerability[] = [];
  readonly packages: Package[] = [];
  readonly secrets: SecretFinding[] = [];
  /** The distribution named by a legacy OS target (`debian (debian 10.8)`). */
  distro?: Distro;
  /** The image a legacy OS target names (`debian` of `debian (debian 10.8)`). */
  targetImage?: string;
  /** Vulnerability entries dropped as repeats of an earlier (id, package, location). */
  repeats = 0;
  /** True once a result shows packages were scanned for vulnerabilities (OS or language packages). */
  scannedPackages = false;
  private readonly seenVulns = new Map<string, Vulnerability[]>();
  private readonly seenPackages = new Set<string>();
  private sawPackageList = false;
  private readonly misconfigurations = new Map<string, number>();
  private misconfigurationsPassed = 0;
  private readonly licenses = new Map<string, number>();
  private customResources = 0;
  private readonly incomplete: string[] = [];

  /** `absolutePaths`: package and secret paths are in an image filesystem, so make them start with `/`. */
  constructor(
    readonly reader: DocumentReader,
    readonly absolutePaths: boolean,
  ) {}

  /** Reads one `Results[]` entry at `path`. */
  read(value: unknown, path: string): void {
    const reader = this.reader;
    const result = reader.object(value, path);
    const target = optionalString(result.Target);
    const resultClass = optionalString(result.Class);
    const typeWord = optionalString(result.Type);
    const resultType = typeWord ? normalizePackageType(typeWord) : undefined;
    const isOs = resultClass === "os-pkgs" || (resultType !== undefined && OS_PACKAGE_TYPES.has(resultType));
    if (isOs && !this.distro && target) {
      this.distro = distroFromTarget(target);
      if (this.distro) this.targetImage ??= target.slice(0, target.lastIndexOf("(")).trim() || undefined;
    }
    if (resultClass === "os-pkgs" || resultClass === "lang-pkgs" || "Vulnerabilities" in result) {
      this.scannedPackages = true;
    }
    // Language findings without their own path are in the file the result names (a lockfile).
    const defaultPath = isOs ? undefined : target;

    const vulns = reader.array(result.Vulnerabilities, `${path}.Vulnerabilities`);
    for (let i = 0; i < vulns.length; i++) {
      const item = vulns[i];
      const v = isObject(item) ? item : reader.object(item, `${path}.Vulnerabilities[${i}]`);
      this.addVulnerability(v, resultType, isOs, defaultPath, path, i);
    }

    if (result.Packages !== undefined && result.Packages !== null) {
      const packages = reader.array(result.Packages, `${path}.Packages`);
      this.sawPackageList = true;
      for (let i = 0; i < packages.length; i++) {
        const item = packages[i];
        const p = isObject(item) ? item : reader.object(item, `${path}.Packages[${i}]`);
        this.addPackage(p, resultType, isOs, defaultPath, `${path}.Packages[${i}]`);
      }
    }

    const secrets = reader.array(result.Secrets, `${path}.Secrets`);
    for (const item of secrets) {
      if (!isObject(item)) continue;
      const regexName = optionalString(item.RuleID) ?? optionalString(item.Title);
      const secretPath = this.imagePath(target);
      if (!regexName || !secretPath) continue;
      const line = optionalNumber(item.StartLine);
      this.secrets.push({ regexName, path: secretPath, ...(line !== undefined ? { line } : {}) });
    }

    const misconfigurations = reader.array(result.Misconfigurations, `${path}.Misconfigurations`);
    let passed = 0;
    for (const item of misconfigurations) {
      if (!isObject(item)) continue;
      const status = optionalString(item.Status);
      if (status === "PASS" || status === "EXCEPTION") passed++;
      else count(this.misconfigurations, optionalString(item.Severity) ?? "UNKNOWN");
    }
    // Passed checks are listed only with --include-non-failures; the summary counts them always.
    const summarised = isObject(result.MisconfSummary)
      ? optionalNumber(result.MisconfSummary.Successes)
      : undefined;
    this.misconfigurationsPassed += Math.max(passed, summarised ?? 0);
    for (const item of reader.array(result.Licenses, `${path}.Licenses`)) {
      if (isObject(item)) count(this.licenses, optionalString(item.Severity) ?? "UNKNOWN");
    }
    this.customResources += reader.array(result.CustomResources, `${path}.CustomResources`).length;
  }

  /** One short line per kind of finding the facts do not model, with counts. */
  notes(): string[] {
    const notes: string[] = [];
    if (this.misconfigurations.size > 0 || this.misconfigurationsPassed > 0) {
      const failed = total(this.misconfigurations);
      const detail = failed > 0 ? ` (${bySeverity(this.misconfigurations)})` : "";
      const passed =
        this.misconfigurationsPassed > 0 ? `, ${plural(this.misconfigurationsPassed, "check")} passed` : "";
      notes.push(`Trivy found ${plural(failed, "misconfiguration")}${detail}${passed}; not modelled.`);
    }
    if (this.licenses.size > 0) {
      notes.push(
        `Trivy found ${plural(total(this.licenses), "license finding")} (${bySeverity(this.licenses)}); not modelled.`,
      );
    }
    if (this.customResources > 0) {
      notes.push(`Trivy reported ${plural(this.customResources, "custom resource")}; not modelled.`);
    }
    if (this.incomplete.length > 0) {
      const where = this.incomplete.slice(0, 3).join(", ") + (this.incomplete.length > 3 ? ", …" : "");
      const n = this.incomplete.length;
      notes.push(
        `${n} vulnerability ${n === 1 ? "entry" : "entries"} without VulnerabilityID or PkgName skipped (${where}).`,
      );
    }
    if (this.repeats > 0) {
      const n = this.repeats;
      notes.push(
        `${n} repeated vulnerability ${n === 1 ? "entry" : "entries"} (same id, package and location) merged.`,
      );
    }
    if (!this.sawPackageList && this.vulnerabilities.length > 0) {
      notes.push("The report lists no package inventory (Trivy writes one with --list-all-pkgs).");
    }
    return notes;
  }

  private addVulnerability(
    v: JsonObject,
    resultType: string | undefined,
    isOs: boolean,
    defaultPath: string | undefined,
    path: string,
    index: number,
  ): void {
    const id = v.VulnerabilityID;
    const name = v.PkgName;
    // An entry naming no vulnerability or no package cannot be a finding; say so rather than fail the report.
    if (typeof id !== "string" || id === "" || typeof name !== "string" || name === "") {
      this.incomplete.push(`${path}.Vulnerabilities[${index}]`);
      return;
    }
    const version = optionalString(v.InstalledVersion) ?? "";
    const purl = isObject(v.PkgIdentifier) ? optionalString(v.PkgIdentifier.PURL) : undefined;
    const type = resultType ?? typeFromPurl(purl);
    const pkgPath = isOs ? undefined : this.imagePath(optionalString(v.PkgPath) ?? defaultPath);

    // Keyed by id alone, then compared field by field: no composite key string per finding.
    const sameId = this.seenVulns.get(id);
    if (sameId) {
      for (const other of sameId) {
        const p = other.package;
        if (p.name === name && p.version === version && p.type === type && p.path === pkgPath) {
          this.repeats++;
          return;
        }
      }
    }

    const cvss = trivyCvss(v.CVSS);
    // Plain assignments, not conditional spreads: this runs once per finding of a 10 MB report.
    const pkg: Vulnerability["package"] = { name, version, type };
    if (pkgPath !== undefined) pkg.path = pkgPath;
    if (purl !== undefined) pkg.purl = purl;
    const vuln: Vulnerability = {
      id,
      package: pkg,
      severity: trivySeverity(v.Severity, cvss),
      fix: trivyFix(v.Status, v.FixedVersion),
      sources: TRIVY_SOURCES,
    };
    if (cvss) vuln.cvss = cvss;
    // Vendor ids are advisories (one DSA covers several CVEs): merging on them would lose findings
    if (Array.isArray(v.VendorIDs) && v.VendorIDs.length > 0) {
      const related = splitRelatedIds(id, stringList(v.VendorIDs));
      if (related.aliases) vuln.aliases = related.aliases;
      if (related.advisories) vuln.advisories = related.advisories;
    }
    const published = fastTime(v.PublishedDate);
    if (published) vuln.publishedAt = published;
    const url =
      optionalString(v.PrimaryURL) ??
      (Array.isArray(v.References) ? optionalString(v.References[0]) : undefined);
    if (url) vuln.url = url;
    const description = optionalString(v.Title) ?? optionalString(v.Description);
    if (description) vuln.description = shortDescription(description);
    this.vulnerabilities.push(vuln);
    if (sameId) sameId.push(vuln);
    else this.seenVulns.set(id, [vuln]);
  }

  private addPackage(
    p: JsonObject,
    resultType: string | undefined,
    isOs: boolean,
    defaultPath: string | undefined,
    path: string,
  ): void {
    const name =
      typeof p.Name === "string" && p.Name !== ""
        ? p.Name
        : this.reader.requiredString(p.Name, `${path}.Name`);
    const version = optionalString(p.Version) ?? "";
    const purl = isObject(p.Identifier) ? optionalString(p.Identifier.PURL) : undefined;
    const type = resultType ?? typeFromPurl(purl);
    const pkgPath = isOs ? undefined : this.imagePath(optionalString(p.FilePath) ?? defaultPath);
    const key = `${type}\n${name}\n${version}\n${pkgPath ?? ""}`;
    if (this.seenPackages.has(key)) return;
    this.seenPackages.add(key);
    const licenses = stringList(p.Licenses);
    this.packages.push({
      name,
      version,
      type,
      ...(pkgPath !== undefined ? { path: pkgPath } : {}),
      ...(purl !== undefined ? { purl } : {}),
      ...(licenses.length > 0 ? { licenses } : {}),
    });
  }

  private imagePath(path: string | undefined): string | undefined {
    if (!path) return undefined;
    return this.absolutePaths && path.charCodeAt(0) !== 47 ? `/${path}` : path;
  }
}

/** Trivy's `CVSS` map (`{nvd: {V3Vector, V3Score, V2…, V40…}, redhat: {…}}`) as CVSS entries. */
function trivyCvss(value: unknown): CvssEntry[] | undefined {
  if (!isObject(value)) return undefined;
  const sources = Object.keys(value);
  let out: CvssEntry[] | undefined;
  for (let i = 0; i < sources.length; i++) {
    const sourceName = sources[i] as string;
    const scores = value[sourceName];
    if (!isObject(scores)) continue;
    const source = sourceName === "nvd" ? "nvd" : "vendor";
    // Named fields, not a loop over field names: keyed lookups are the slow path in V8.
    out = addTrivyScore(out, scores.V2Score, scores.V2Vector, "2.0", source, sourceName);
    out = addTrivyScore(out, scores.V3Score, scores.V3Vector, "3.0", source, sourceName);
    out = addTrivyScore(out, scores.V40Score, scores.V40Vector, "4.0", source, sourceName);
  }
  return out;
}

function addTrivyScore(
  out: CvssEntry[] | undefined,
  score: unknown,
  vector: unknown,
  defaultVersion: string,
  source: "nvd" | "vendor",
  sourceName: string,
): CvssEntry[] | undefined {
  if (typeof score !== "number" || !(score >= 0 && score <= 10)) return out;
  const hasVector = typeof vector === "string" && vector !== "";
  // Go's zero value: a score of 0 with no vector means the scorer gave none.
  if (score === 0 && !hasVector) return out;
  const entry: CvssEntry = {
    version: hasVector ? cvssVersion(vector, defaultVersion) : defaultVersion,
    source,
    sourceName,
    baseScore: score,
  };
  if (hasVector) entry.vector = vector;
  if (!out) return [entry];
  out.push(entry);
  return out;
}

// Shared by every finding: nothing mutates these (merging builds new arrays), and a 10 MB report has thousands.
const TRIVY_SOURCES: string[] = Object.freeze(["trivy"]) as unknown as string[];
const NO_VERSIONS: string[] = Object.freeze([]) as unknown as string[];

function trivySeverity(word: unknown, cvss: CvssEntry[] | undefined): Severity {
  const severity = typeof word === "string" ? normalizeSeverity(word) : undefined;
  if (severity) return severity;
  return bandedSeverity(cvss) ?? "unknown";
}

function trivyFix(status: unknown, fixedVersion: unknown): Vulnerability["fix"] {
  const fixed = typeof fixedVersion === "string" ? fixedVersion : "";
  const versions = fixed === "" ? NO_VERSIONS : splitVersions(fixed);
  const state = typeof status === "string" ? FIX_STATES[status] : undefined;
  // Before Trivy had Status, an empty FixedVersion meant what Status "affected" says now.
  if (state === undefined) return { state: versions.length > 0 ? "fixed" : "not-fixed", versions };
  return { state: state === "unknown" && versions.length > 0 ? "fixed" : state, versions };
}

/** Trivy's `FixedVersion` (`"11.0.14, 10.1.49"` for several branches) as a list. */
function splitVersions(text: string): string[] {
  if (!text.includes(",")) {
    const one = text.trim();
    return one === "" ? [] : [one];
  }
  const out: string[] = [];
  for (const part of text.split(",")) {
    const version = part.trim();
    if (version !== "") out.push(version);
  }
  return out;
}

function typeFromPurl(purl: string | undefined): string {
  if (!purl?.startsWith("pkg:")) return "unknown";
  const slash = purl.indexOf("/", 4);
  return normalizePackageType(slash > 4 ? purl.slice(4, slash) : undefined);
}

/** `debian (debian 10.8)` → debian 10.8, for legacy reports, which have no OS metadata. */
function distroFromTarget(target: string): Distro | undefined {
  const open = target.lastIndexOf("(");
  if (open < 0 || !target.endsWith(")")) return undefined;
  const inner = target.slice(open + 1, -1).trim();
  const space = inner.lastIndexOf(" ");
  if (space <= 0) return undefined;
  return { name: distroId(inner.slice(0, space)), version: inner.slice(space + 1) };
}

/** An RFC 3339 time: Trivy's are already in UTC `Z` form, so only others go through Date. */
function fastTime(value: unknown): string | undefined {
  if (typeof value === "string" && value.length >= 20 && value.charCodeAt(10) === 84 && value.endsWith("Z")) {
    return value;
  }
  return optionalTime(value);
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function total(map: Map<string, number>): number {
  let sum = 0;
  for (const n of map.values()) sum += n;
  return sum;
}

const SEVERITY_ORDER = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

/** `HIGH 2, LOW 1`: counts by severity word, most severe first. */
function bySeverity(map: Map<string, number>): string {
  const rank = (word: string) => {
    const i = SEVERITY_ORDER.indexOf(word.toUpperCase());
    return i < 0 ? SEVERITY_ORDER.length : i;
  };
  return [...map.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .map(([severity, n]) => `${severity} ${n}`)
    .join(", ");
}

/** `1 check`, `2 checks`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
