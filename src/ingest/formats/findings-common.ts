import type { CvssEntry, Distro, FixState, Package, Severity, Vulnerability } from "../../model/index.js";
import { severityRank } from "../../model/index.js";
import { isObject, optionalNumber, optionalString, optionalTime } from "../document-reader.js";
import { distroId } from "../normalize/distro-id.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { normalizeSeverity, severityFromCvss } from "../normalize/severity.js";

// Ids other than the primary one that advisories mention: CVEs and GitHub advisories.
const ALIAS_PATTERN = /\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3})\b/gi;
const DESCRIPTION_LIMIT = 300;

/**
 * The distribution named by a Clair namespace (`debian:8`, `ubuntu:18.04`, `centos:7`, `alpine:v3.8`),
 * with the id as os-release names it.
 */
export function distroFromNamespace(namespace: string | undefined): Distro | undefined {
  if (namespace === undefined) return undefined;
  const colon = namespace.indexOf(":");
  const name = distroId(colon >= 0 ? namespace.slice(0, colon) : namespace);
  if (name === "") return undefined;
  const raw = colon >= 0 ? namespace.slice(colon + 1).trim() : "";
  // Clair writes Alpine branches as `v3.8`; os-release says `3.8`.
  const version = /^v\d/.test(raw) ? raw.slice(1) : raw;
  return version === "" ? { name } : { name, version };
}

/** The package type from Clair's version format (`dpkg`, `rpm`, `apk`), else from the namespace's distribution. */
export function clairPackageType(versionFormat: string | undefined, namespace: string | undefined): string {
  if (versionFormat !== undefined) return normalizePackageType(versionFormat);
  if (namespace === undefined) return "unknown";
  const colon = namespace.indexOf(":");
  const distro = colon >= 0 ? namespace.slice(0, colon) : namespace;
  return RPM_DISTROS.has(distroId(distro)) ? "rpm" : normalizePackageType(distro);
}

// RPM-based distributions whose os-release ids the package-type words do not cover.
const RPM_DISTROS = new Set([
  "rhel",
  "ol",
  "amzn",
  "sles",
  "opensuse-leap",
  "opensuse-tumbleweed",
  "mariner",
]);

/** Ids a record relates to a finding, split by what they may be used for. */
export interface RelatedIds {
  /** One-to-one aliases of the finding's id (GHSA ↔ CVE): findings merge on these. */
  aliases?: string[];
  /** Advisories and ids of several related vulnerabilities: kept and shown, never merged on. */
  advisories?: string[];
}

// One advisory (a DSA, RHSA, USN, ALAS, …) covers several vulnerabilities, so it never identifies one finding.
const ADVISORY_ID =
  /^(?:DSA|DLA|DTSA|RHSA|RHBA|RHEA|USN|ALAS[0-9A-Z]*|ALSA|ALBA|ELSA|CESA|RLSA|SUSE-[A-Z]{2}|openSUSE-[A-Z]{2}|FEDORA|MGASA|GLSA|PHSA|BSA|CGA|ASA|TEMP)-/i;

/** True for vendor advisory ids (`DSA-6113-1`, `RHSA-2024:1234`, `USN-6000-1`, `ALAS2-2023-2000`, …). */
export function isAdvisoryId(id: string): boolean {
  return ADVISORY_ID.test(id);
}

/**
 * Splits the ids a record relates to a finding: another vulnerability id is an alias only when it is the only
 * one named and neither is an advisory (a GHSA and its CVE); advisory ids, and the ids of a finding that names
 * several, are advisories. Merging on an advisory would fold the distinct CVEs it covers into one finding.
 */
export function splitRelatedIds(id: string, related: readonly string[]): RelatedIds {
  // Most findings relate to nothing but themselves: no sets, no upper-casing for them
  if (related.length === 0 || (related.length === 1 && related[0] === id)) return NO_RELATED_IDS;
  const own = id.toUpperCase();
  const seen = new Set<string>([own]);
  const vulnerabilityIds: string[] = [];
  const advisories: string[] = [];
  for (const other of related) {
    const key = other.toUpperCase();
    if (other === "" || seen.has(key)) continue;
    seen.add(key);
    (isAdvisoryId(other) ? advisories : vulnerabilityIds).push(other);
  }
  if (vulnerabilityIds.length === 1 && !isAdvisoryId(id)) {
    return advisories.length > 0 ? { aliases: vulnerabilityIds, advisories } : { aliases: vulnerabilityIds };
  }
  advisories.unshift(...vulnerabilityIds);
  return advisories.length > 0 ? { advisories } : NO_RELATED_IDS;
}

const NO_RELATED_IDS: RelatedIds = Object.freeze({});

/** CVE and GHSA ids mentioned in the texts, other than `id`, in order of first mention, split as {@link splitRelatedIds}. */
export function advisoryAliases(id: string, ...texts: (string | undefined)[]): RelatedIds {
  const found: string[] = [];
  for (const text of texts) {
    if (text === undefined) continue;
    for (const match of text.matchAll(ALIAS_PATTERN)) {
      found.push(
        match[0].startsWith("G") || match[0].startsWith("g")
          ? normalizeGhsa(match[0])
          : match[0].toUpperCase(),
      );
    }
  }
  return splitRelatedIds(id, found);
}

/** Related ids of a Clair finding: ids in its link, and in its description when the id is an advisory rather than a CVE. */
export function clairAliases(
  id: string,
  link: string | undefined,
  description: string | undefined,
): RelatedIds {
  // A CVE's own description may cite other, related CVEs; an advisory's lists the CVEs it covers.
  return advisoryAliases(id, link, id.toUpperCase().startsWith("CVE-") ? undefined : description);
}

function normalizeGhsa(text: string): string {
  return `GHSA${text.slice(4).toLowerCase()}`;
}

/** The first paragraph of an advisory text, cut to a few hundred characters. */
export function shortDescription(text: unknown): string | undefined {
  const value = optionalString(text)?.trim();
  if (!value) return undefined;
  const paragraph = value.split(/\r?\n\s*\r?\n/, 1)[0] ?? value;
  const flat = paragraph.replace(/\s+/g, " ");
  return flat.length <= DESCRIPTION_LIMIT ? flat : `${flat.slice(0, DESCRIPTION_LIMIT - 1).trimEnd()}…`;
}

/** CVSS version from a vector prefix (`CVSS:3.1/…`), else the given default. */
export function cvssVersion(vector: string | undefined, fallback: string): string {
  if (vector?.startsWith("CVSS:")) {
    const slash = vector.indexOf("/");
    const version = vector.slice(5, slash > 0 ? slash : undefined);
    if (/^\d\.\d$/.test(version)) return version;
  }
  return fallback;
}

/**
 * CVSS entries from a Clair v1/v2 vulnerability's `Metadata` (`{NVD: {CVSSv2: {Score, Vectors}, CVSSv3:
 * {Score, Vectors, ExploitabilityScore, ImpactScore}}}`), plus the NVD publication time when given.
 */
export function clairMetadataCvss(metadata: unknown): { cvss?: CvssEntry[]; publishedAt?: string } {
  if (!isObject(metadata)) return {};
  const nvd = metadata.NVD;
  if (!isObject(nvd)) return {};
  const cvss: CvssEntry[] = [];
  let publishedAt: string | undefined;
  for (const [key, fallback] of [
    ["CVSSv2", "2.0"],
    ["CVSSv3", "3.0"],
  ] as const) {
    const entry = nvd[key];
    if (!isObject(entry)) continue;
    publishedAt ??= optionalTime(entry.PublishedDateTime);
    const baseScore = optionalNumber(entry.Score);
    if (baseScore === undefined || baseScore < 0 || baseScore > 10) continue;
    const vector = optionalString(entry.Vectors);
    const exploitabilityScore = optionalNumber(entry.ExploitabilityScore);
    const impactScore = optionalNumber(entry.ImpactScore);
    cvss.push({
      version: cvssVersion(vector, fallback),
      source: "nvd",
      sourceName: "nvd",
      baseScore,
      ...(exploitabilityScore !== undefined && exploitabilityScore >= 0 ? { exploitabilityScore } : {}),
      ...(impactScore !== undefined && impactScore >= 0 ? { impactScore } : {}),
      ...(vector !== undefined ? { vector } : {}),
    });
  }
  return { ...(cvss.length > 0 ? { cvss } : {}), ...(publishedAt !== undefined ? { publishedAt } : {}) };
}

/**
 * The severity of a finding: the scanner's word when we know it (an explicit "Unknown" included), else
 * (no word, or one we do not know) the band of the highest CVSS v3 base score, else unknown.
 */
export function findingSeverity(word: unknown, cvss: CvssEntry[] | undefined): Severity {
  const known = normalizeSeverity(optionalString(word));
  if (known !== undefined) return known;
  let best: Severity = "unknown";
  for (const c of cvss ?? []) {
    if (!c.version.startsWith("3")) continue;
    const band = severityFromCvss(c.baseScore);
    if (severityRank(band) > severityRank(best)) best = band;
  }
  return best;
}

/** Fix state from a Clair `FixedBy` / `fixedby`: fixed with that version, else no fix known yet. */
export function clairFix(fixedBy: unknown): { state: FixState; versions: string[] } {
  const version = optionalString(fixedBy)?.trim();
  return version ? { state: "fixed", versions: [version] } : { state: "not-fixed", versions: [] };
}

/**
 * Findings keyed by (vulnerability id, package, location): a repeat of the same key merges into the
 * first (highest severity, all fix versions, aliases and advisories), so each appears once.
 */
export class FindingSet {
  private readonly byKey = new Map<string, Vulnerability>();
  private readonly packagesByKey = new Map<string, Package>();

  /** Adds a finding, merging it with an earlier one for the same vulnerability, package and location. */
  add(finding: Vulnerability): void {
    const p = finding.package;
    const key = `${finding.id}\u0000${p.name}\u0000${p.version}\u0000${p.type}\u0000${p.path ?? ""}`;
    const earlier = this.byKey.get(key);
    if (earlier === undefined) {
      this.byKey.set(key, finding);
    } else {
      mergeInto(earlier, finding);
    }
    this.addPackage({ ...p });
  }

  /** Adds a package, once per name, version, type and location. */
  addPackage(pkg: Package): void {
    const key = `${pkg.name}\u0000${pkg.version}\u0000${pkg.type}\u0000${pkg.path ?? ""}`;
    if (!this.packagesByKey.has(key)) {
      const clean: Package = { name: pkg.name, version: pkg.version, type: pkg.type };
      if (pkg.path !== undefined) clean.path = pkg.path;
      if (pkg.purl !== undefined) clean.purl = pkg.purl;
      if (pkg.licenses !== undefined) clean.licenses = pkg.licenses;
      this.packagesByKey.set(key, clean);
    }
  }

  get vulnerabilities(): Vulnerability[] {
    return [...this.byKey.values()];
  }

  get packages(): Package[] {
    return [...this.packagesByKey.values()];
  }
}

function mergeInto(target: Vulnerability, other: Vulnerability): void {
  if (severityRank(other.severity) > severityRank(target.severity)) target.severity = other.severity;
  for (const v of other.fix.versions) if (!target.fix.versions.includes(v)) target.fix.versions.push(v);
  if (target.fix.state !== "fixed" && other.fix.state === "fixed") target.fix.state = "fixed";
  if (other.aliases) {
    const aliases = target.aliases ?? [];
    for (const a of other.aliases) if (a !== target.id && !aliases.includes(a)) aliases.push(a);
    if (aliases.length > 0) target.aliases = aliases;
  }
  if (other.advisories) {
    const advisories = target.advisories ?? [];
    for (const a of other.advisories) if (a !== target.id && !advisories.includes(a)) advisories.push(a);
    if (advisories.length > 0) target.advisories = advisories;
  }
  if (other.cvss && !target.cvss) target.cvss = other.cvss;
  target.url ??= other.url;
  target.description ??= other.description;
  target.publishedAt ??= other.publishedAt;
}
