import type { CvssEntry, Distro, PackageRef, Vulnerability } from "../model/facts.js";
import { type Severity, severityRank } from "../model/severity.js";
import { orderFor, type VersionOrder } from "../versions/ecosystem-order.js";
import type { OsvEvent } from "./osv-record.js";
import { lookupPlan, type MatchablePackage } from "./package-ecosystem.js";
import { decodeIndexedRecord, type IndexedAffected } from "./package-index.js";
import type { VulnDatabase } from "./vuln-database.js";

interface PreparedRecord {
  id: string;
  aliases: string[];
  advisories: string[];
  severity: Severity;
  cvss: CvssEntry[];
  summary?: string;
  url?: string;
}

// Caches are emptied when this many keys are held, bounding memory for databases of any size.
const MAX_CACHED = 200_000;

interface MatchCache {
  generation: number;
  rows: Map<string, IndexedAffected[]>;
  records: Map<string, PreparedRecord>;
}

const caches = new WeakMap<VulnDatabase, MatchCache>();

function cacheFor(db: VulnDatabase): MatchCache {
  let cache = caches.get(db);
  if (cache === undefined || cache.generation !== db.generation) {
    cache = { generation: db.generation, rows: new Map(), records: new Map() };
    caches.set(db, cache);
  }
  return cache;
}

function prepareRecord(id: string, text: string): PreparedRecord {
  const stored = decodeIndexedRecord(text);
  const aliases = [...stored.aliases];
  let advisories = stored.advisories;
  // A distribution's record of one upstream vulnerability (ALPINE-CVE-…, UBUNTU-CVE-…) is that vulnerability
  // under another name, so scanners reporting the CVE id find the same finding
  const upstream = advisories.find((a) => id.endsWith(`-${a}`));
  if (upstream !== undefined && !aliases.includes(upstream)) {
    aliases.push(upstream);
    advisories = advisories.filter((a) => a !== upstream);
  }
  const record: PreparedRecord = { id, aliases, advisories, severity: stored.severity, cvss: stored.cvss };
  if (stored.summary !== null) record.summary = stored.summary;
  if (stored.url !== null) record.url = stored.url;
  return record;
}

/**
 * Whether `version` falls in a range, walking its sorted events as osv-schema's evaluation describes;
 * returns the fixed version that ends the affected stretch (when there is one) or false.
 */
function inRange(
  events: readonly string[],
  version: string,
  order: VersionOrder,
): { fixedBy?: string } | false {
  let affected = false;
  let fixedBy: string | undefined;
  let limited = false;
  let belowALimit = false;
  for (let i = 0; i + 1 < events.length; i += 2) {
    const kind = events[i] as OsvEvent["kind"];
    const at = events[i + 1] as string;
    if (kind === "limit") {
      limited = true;
      if (!belowALimit && order.compare(version, at) < 0) belowALimit = true;
      continue;
    }
    if (kind === "introduced") {
      if (at === "0" || order.compare(version, at) >= 0) {
        affected = true;
        fixedBy = undefined;
      }
    } else if (kind === "fixed") {
      if (order.compare(version, at) >= 0) affected = false;
      else if (affected && fixedBy === undefined) fixedBy = at;
    } else if (order.compare(version, at) > 0) {
      affected = false;
    }
  }
  if (!affected || (limited && !belowALimit)) return false;
  return fixedBy === undefined ? {} : { fixedBy };
}

interface Hit {
  fixed: Set<string>;
  severity: Severity | null;
  /** The record's indexed fields, from the first entry that matched. */
  record: string;
}

function packageRef(pkg: MatchablePackage): PackageRef {
  const ref: PackageRef = { name: pkg.name, version: pkg.version, type: pkg.type };
  if (pkg.path !== undefined) ref.path = pkg.path;
  if (pkg.purl !== undefined) ref.purl = pkg.purl;
  if (pkg.sourceName !== undefined) ref.sourceName = pkg.sourceName;
  return ref;
}

function maxSeverity(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return severityRank(b) > severityRank(a) ? b : a;
}

/**
 * The vulnerabilities of packages, found offline in the OSV database. Each package is looked up in its
 * OSV ecosystem (from its type or purl, and for distribution packages the distribution's release, given
 * or from the purl's `distro` qualifier) under its name or source package; an affected entry applies when
 * the version is in its explicit `versions` list or inside one of its ECOSYSTEM/SEMVER ranges in the
 * ecosystem's version order (GIT ranges are ignored; ecosystems without a known order match on the list
 * alone). One finding per (record, package); withdrawn records are skipped. Parsed ranges are cached per
 * database until it is written again.
 */
export function matchPackages(
  db: VulnDatabase,
  packages: readonly MatchablePackage[],
  distro?: Distro,
): Vulnerability[] {
  const cache = cacheFor(db);
  const found: Vulnerability[] = [];
  for (const pkg of packages) {
    const plan = lookupPlan(pkg, distro);
    if (plan === undefined || plan.version === "") continue;
    const order = orderFor(plan.ecosystemBase);
    const hits = new Map<string, Hit>();
    for (const name of plan.names) {
      const key = `${plan.ecosystemBase}\u0000${name}`;
      let rows = cache.rows.get(key);
      if (rows === undefined) {
        rows = db.packageEntries(plan.ecosystemBase, name);
        if (cache.rows.size >= MAX_CACHED) cache.rows.clear();
        cache.rows.set(key, rows);
      }
      for (const row of rows) {
        if (!plan.accepts(row.ecosystem)) continue;
        const fixed = matchRow(row, plan.version, order);
        if (fixed === undefined) continue;
        const hit = hits.get(row.recordId) ?? {
          fixed: new Set<string>(),
          severity: null,
          record: row.record,
        };
        for (const version of fixed) hit.fixed.add(version);
        hit.severity = maxSeverity(hit.severity, row.severity);
        hits.set(row.recordId, hit);
      }
    }
    for (const [id, hit] of hits) {
      let record = cache.records.get(id);
      if (record === undefined) {
        record = prepareRecord(id, hit.record);
        if (cache.records.size >= MAX_CACHED) cache.records.clear();
        cache.records.set(id, record);
      }
      found.push(toVulnerability(record, hit, pkg, order));
    }
  }
  return found;
}

/** The fixed versions of a matching row (possibly none), or undefined when the row does not match. */
function matchRow(
  row: IndexedAffected,
  version: string,
  order: VersionOrder | undefined,
): string[] | undefined {
  let matched = row.versions.includes(version);
  const fixed: string[] = [];
  if (order !== undefined) {
    for (const events of row.ranges) {
      const result = inRange(events, version, order);
      if (result === false) continue;
      matched = true;
      if (result.fixedBy !== undefined) fixed.push(result.fixedBy);
    }
    // Listed but outside every range (or no ranges): the listed fixes still say how to get out.
    if (matched && fixed.length === 0 && row.ranges.length === 0) fixed.push(...row.fixed);
    return matched ? fixed : undefined;
  }
  return matched ? [...row.fixed] : undefined;
}

function toVulnerability(
  record: PreparedRecord,
  hit: Hit,
  pkg: MatchablePackage,
  order: VersionOrder | undefined,
): Vulnerability {
  const versions = [...hit.fixed];
  if (order !== undefined) versions.sort((a, b) => order.compare(a, b));
  const vulnerability: Vulnerability = {
    id: record.id,
    aliases: record.aliases,
    package: packageRef(pkg),
    severity: hit.severity ?? record.severity,
    fix: { state: versions.length > 0 ? "fixed" : "not-fixed", versions },
    sources: ["osv"],
  };
  if (record.advisories.length > 0) vulnerability.advisories = record.advisories;
  if (record.cvss.length > 0) vulnerability.cvss = record.cvss;
  if (record.url !== undefined) vulnerability.url = record.url;
  if (record.summary !== undefined) vulnerability.description = record.summary;
  return vulnerability;
}
