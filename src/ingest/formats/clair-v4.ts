import type { CvssEntry, Distro, PackageRef, Vulnerability } from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import { distroId } from "../normalize/distro-id.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import {
  advisoryAliases,
  cvssVersion,
  FindingSet,
  findingSeverity,
  shortDescription,
} from "./findings-common.js";

const SCANNER = "clair";

/** What Clair's enrichers add to one vulnerability record. */
interface Enrichment {
  cvss?: CvssEntry[];
  epss?: { score: number; percentile?: number; date?: string };
  knownExploited?: boolean;
}

/** The parts of a finding that depend only on the vulnerability record, computed once per record. */
type FindingBase = Omit<Vulnerability, "package">;

/**
 * Clair v4's `vulnerability_report` (`GET /matcher/api/v1/vulnerability_report/<digest>`, clairctl and
 * clair-action JSON): packages, their environments, vulnerability records and the package → vulnerability
 * map, with optional CVSS/EPSS/KEV enrichments. `manifest_hash` is the image manifest digest.
 */
export const clairV4Format: ReportFormat = {
  id: "clair-v4",
  name: "Clair v4 vulnerability report",
  kind: "scanner",
  shape: '"manifest_hash", "packages" and "package_vulnerabilities" (or "vulnerabilities")',
  detect(document) {
    return (
      isObject(document) &&
      typeof document.manifest_hash === "string" &&
      "packages" in document &&
      ("package_vulnerabilities" in document || "vulnerabilities" in document)
    );
  },
  parse(document, source) {
    const reader = new DocumentReader("Clair v4", source);
    const root = reader.object(document, "$");
    const digest = reader.requiredString(root.manifest_hash, "$.manifest_hash");
    const packages = objectOrEmpty(reader, root.packages, "$.packages");
    const environments = objectOrEmpty(reader, root.environments, "$.environments");
    const records = objectOrEmpty(reader, root.vulnerabilities, "$.vulnerabilities");
    const matches = objectOrEmpty(reader, root.package_vulnerabilities, "$.package_vulnerabilities");
    const enrichments = readEnrichments(root.enrichments);

    const findings = new FindingSet();
    // One package per distinct location (package database) Clair found it in.
    const refsById = new Map<string, PackageRef[]>();
    for (const [id, value] of Object.entries(packages)) {
      const path = `$.packages[${JSON.stringify(id)}]`;
      const pkg = reader.object(value, path);
      const name = reader.requiredString(pkg.name, `${path}.name`);
      const version = optionalString(pkg.version) ?? "";
      const refs: PackageRef[] = [];
      const seen = new Set<string>();
      const envs = reader.array(own(environments, id), `$.environments[${JSON.stringify(id)}]`);
      for (const env of envs) {
        const db = isObject(env) ? (optionalString(env.package_db) ?? "") : "";
        if (seen.has(db)) continue;
        seen.add(db);
        const { type, path: location } = locate(db);
        refs.push(location === undefined ? { name, version, type } : { name, version, type, path: location });
      }
      if (refs.length === 0) refs.push({ name, version, type: "unknown" });
      for (const ref of refs) findings.addPackage(ref);
      refsById.set(id, refs);
    }

    const bases = new Map<string, FindingBase>();
    for (const [pkgId, list] of Object.entries(matches)) {
      const mpath = `$.package_vulnerabilities[${JSON.stringify(pkgId)}]`;
      const refs = refsById.get(pkgId);
      if (refs === undefined) throw reader.invalid(mpath, `package id "${pkgId}" is not in $.packages`);
      const vulnIds = reader.array(list, mpath);
      for (let i = 0; i < vulnIds.length; i++) {
        const vulnId = reader.requiredString(vulnIds[i], `${mpath}[${i}]`);
        let base = bases.get(vulnId);
        if (base === undefined) {
          const record = own(records, vulnId);
          if (record === undefined) {
            throw reader.invalid(
              `${mpath}[${i}]`,
              `vulnerability id "${vulnId}" is not in $.vulnerabilities`,
            );
          }
          base = findingBase(reader, vulnId, record, enrichments.get(vulnId));
          bases.set(vulnId, base);
        }
        for (const ref of refs) {
          findings.add({
            ...base,
            package: { ...ref },
            fix: { state: base.fix.state, versions: [...base.fix.versions] },
            ...(base.aliases ? { aliases: [...base.aliases] } : {}),
            ...(base.advisories ? { advisories: [...base.advisories] } : {}),
          });
        }
      }
    }

    const report: ParsedReport = {
      format: "clair-v4",
      scanner: { name: SCANNER },
      image: { digest },
      packages: findings.packages,
      vulnerabilities: findings.vulnerabilities,
      notes: [],
    };
    const distro = readDistro(root.distributions);
    if (distro) report.distro = distro;
    return report;
  },
};

/** A map entry by key, never one inherited from Object.prototype (`constructor`, `__proto__`). */
function own(map: JsonObject, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function objectOrEmpty(reader: DocumentReader, value: unknown, path: string): JsonObject {
  // Go writes an empty map as null.
  if (value === undefined || value === null) return {};
  return reader.object(value, path);
}

/** Package type and in-image location from a Clair `package_db` (`var/lib/dpkg/status`, `python:usr/lib/…`). */
function locate(db: string): { type: string; path?: string } {
  const colon = db.indexOf(":");
  if (colon > 0) {
    const prefix = db.slice(0, colon).toLowerCase();
    const rest = db.slice(colon + 1);
    const path = rest === "" ? undefined : rest.startsWith("/") ? rest : `/${rest}`;
    const type = LANGUAGE_DBS[prefix];
    if (type !== undefined) return path === undefined ? { type } : { type, path };
    // RPM databases come as `sqlite:`, `bdb:` or `ndb:` plus the path: the OS package database.
    if (rest.includes("rpm")) return { type: "rpm" };
  }
  if (db.includes("dpkg")) return { type: "dpkg" };
  if (db.includes("rpm")) return { type: "rpm" };
  if (db.includes("apk")) return { type: "apk" };
  return { type: "unknown" };
}

// Clair's package_db prefixes for language ecosystems, as our package types.
const LANGUAGE_DBS: Record<string, string> = {
  python: "python",
  nodejs: "npm",
  maven: "java",
  jar: "java",
  file: "java",
  ruby: "gem",
  go: "go",
};

function findingBase(
  reader: DocumentReader,
  key: string,
  value: unknown,
  enrichment: Enrichment | undefined,
): FindingBase {
  const path = `$.vulnerabilities[${JSON.stringify(key)}]`;
  const record = reader.object(value, path);
  const name = optionalString(record.name);
  const id = advisoryId(name) ?? optionalString(record.id) ?? key;
  const links = optionalString(record.links);
  const url = links?.split(/\s+/, 1)[0];
  const related = advisoryAliases(id, name, links);
  const cvss = enrichment?.cvss;
  const fixed = fixedVersion(optionalString(record.fixed_in_version));
  const issued = optionalTime(record.issued);
  const description = shortDescription(record.description);
  return {
    id,
    ...related,
    severity: findingSeverity(
      optionalString(record.normalized_severity) ?? optionalString(record.severity),
      cvss,
    ),
    ...(cvss ? { cvss } : {}),
    fix: fixed ? { state: "fixed", versions: [fixed] } : { state: "not-fixed", versions: [] },
    ...(enrichment?.epss ? { epss: enrichment.epss } : {}),
    ...(enrichment?.knownExploited ? { knownExploited: true } : {}),
    // Go's zero time (year 1) means "not known".
    ...(issued && !issued.startsWith("0001-") ? { publishedAt: issued } : {}),
    ...(url ? { url } : {}),
    ...(description ? { description } : {}),
    sources: [SCANNER],
  };
}

/** The advisory id at the start of a Clair vulnerability name (`RHSA-2022:0892: libarchive …` → `RHSA-2022:0892`). */
function advisoryId(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const first = name.trim().split(/\s/, 1)[0] ?? "";
  const id = first.endsWith(":") ? first.slice(0, -1) : first;
  return id === "" ? undefined : id;
}

/** The fixed version, also from the query-string form some updaters write (`fixed=1.2.3&introduced=1.0`). */
function fixedVersion(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.includes("fixed=")) return new URLSearchParams(text).get("fixed") || undefined;
  return text.trim() || undefined;
}

/** Enrichment data by vulnerability record id; malformed enrichments are skipped, they only add detail. */
function readEnrichments(value: unknown): Map<string, Enrichment> {
  const byId = new Map<string, Enrichment>();
  if (!isObject(value)) return byId;
  for (const [type, blobs] of Object.entries(value)) {
    const kind = type.includes("clair.cvss")
      ? "cvss"
      : type.includes("clair.epss")
        ? "epss"
        : type.includes("clair.kev")
          ? "kev"
          : undefined;
    if (kind === undefined || !Array.isArray(blobs)) continue;
    for (const blob of blobs) {
      if (!isObject(blob)) continue;
      for (const [vulnId, entries] of Object.entries(blob)) {
        if (!Array.isArray(entries)) continue;
        for (const entry of entries) {
          if (!isObject(entry)) continue;
          let target = byId.get(vulnId);
          if (target === undefined) {
            target = {};
            byId.set(vulnId, target);
          }
          addEnrichment(target, kind, entry);
        }
      }
    }
  }
  return byId;
}

function addEnrichment(target: Enrichment, kind: "cvss" | "epss" | "kev", entry: JsonObject): void {
  if (kind === "kev") {
    target.knownExploited = true;
    return;
  }
  if (kind === "epss") {
    const score = optionalNumber(entry.epss) ?? optionalNumber(entry.probability);
    if (score === undefined || target.epss !== undefined) return;
    const percentile = optionalNumber(entry.percentile);
    const date = optionalString(entry.date);
    target.epss = { score, ...(percentile !== undefined ? { percentile } : {}), ...(date ? { date } : {}) };
    return;
  }
  // Clair's CVSS enricher copies NVD's primary cvssData object.
  const baseScore = optionalNumber(entry.baseScore);
  if (baseScore === undefined || baseScore < 0 || baseScore > 10) return;
  const vector = optionalString(entry.vectorString);
  const cvss: CvssEntry = {
    version: optionalString(entry.version) ?? cvssVersion(vector, "3.1"),
    source: "nvd",
    sourceName: "nvd",
    baseScore,
    ...(vector ? { vector } : {}),
  };
  target.cvss = target.cvss ? [...target.cvss, cvss] : [cvss];
}

function readDistro(value: unknown): Distro | undefined {
  if (!isObject(value)) return undefined;
  for (const dist of Object.values(value)) {
    if (!isObject(dist)) continue;
    const did = optionalString(dist.did);
    if (did === undefined) continue;
    const version = optionalString(dist.version_id) ?? optionalString(dist.version);
    return version === undefined ? { name: distroId(did) } : { name: distroId(did), version };
  }
  return undefined;
}
