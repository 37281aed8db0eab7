import type { CvssEntry, Distro, PackageRef, Vulnerability } from "../model/facts.js";
import { type Severity, severityRank } from "../model/severity.js";
import { orderFor, type VersionOrder } from "../versions/ecosystem-order.js";
import type { OsvEvent, OsvRange } from "./osv-record.js";
import { lookupPlan, type MatchablePackage } from "./package-ecosystem.js";
import type { AffectedRow, VulnDatabase } from "./vuln-database.js";

/** An affected row with its ranges parsed and sorted once, in its ecosystem's order. */
interface PreparedAffected {
  recordId: string;
  ecosystem: string;
  /** Events of each ECOSYSTEM/SEMVER range, sorted; undefined when the ecosystem's order is unknown. */
  ranges: OsvEvent[][] | undefined;
  versions: ReadonlySet<string>;
  /** Every `fixed` event, for ecosystems matched by their version lists alone. */
  fixed: string[];
  severity: Severity | null;
}

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
  rows: Map<string, PreparedAffected[]>;
  records: Map<string, PreparedRecord | null>;
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

function sortEvents(events: readonly OsvEvent[], order: VersionOrder): OsvEvent[] {
  const zeroFirst = (e: OsvEvent): boolean => e.kind === "introduced" && e.version === "0";
  return [...events].sort((a, b) => {
    if (zeroFirst(a) || zeroFirst(b)) return zeroFirst(a) === zeroFirst(b) ? 0 : zeroFirst(a) ? -1 : 1;
    return order.compare(a.version, b.version);
  });
}

function prepareRow(row: AffectedRow, order: VersionOrder | undefined): PreparedAffected {
  const ranges = JSON.parse(row.ranges) as OsvRange[];
  const fixed = ranges.flatMap((r) => r.events.filter((e) => e.kind === "fixed").map((e) => e.version));
  return {
    recordId: row.record_id,
    ecosystem: row.ecosystem,
    ranges:
      order === undefined
        ? undefined
        : ranges
            .filter((r) => r.type === "ECOSYSTEM" || r.type === "SEMVER")
            .map((r) => sortEvents(r.events, order)),
    versions: new Set(JSON.parse(row.versions) as string[]),
    fixed,
    severity: row.severity,
  };
}

function prepareRecord(db: VulnDatabase, id: string): PreparedRecord | null {
  const row = db.record(id);
  if (row === undefined || row.withdrawn !== null) return null;
  const aliases = JSON.parse(row.aliases) as string[];
  let advisories = JSON.parse(row.advisories) as string[];
  // A distribution's record of one upstream vulnerability (ALPINE-CVE-…, UBUNTU-CVE-…) is that vulnerability
  // under another name, so scanners reporting the CVE id find the same finding
  const upstream = advisories.find((a) => row.id.endsWith(`-${a}`));
  if (upstream !== undefined && !aliases.includes(upstream)) {
    aliases.push(upstream);
    advisories = advisories.filter((a) => a !== upstream);
  }
  const record: PreparedRecord = {
    id: row.id,
    aliases,
    advisories,
    severity: row.severity,
    cvss: JSON.parse(row.cvss) as CvssEntry[],
  };
  if (row.summary !== null) record.summary = row.summary;
  if (row.url !== null) record.url = row.url;
  return record;
}

/**
 * Whether `version` falls in a range, walking its sorted events as osv-schema's evaluation describes;
 * returns the fixed version that ends the affected stretch (when there is one) or false.
 */
function inRange(
  events: readonly OsvEvent[],
  version: string,
  order: VersionOrder,
): { fixedBy?: string } | false {
  let affected = false;
  let fixedBy: string | undefined;
  const limits: string[] = [];
  for (const event of events) {
    if (event.kind === "limit") {
      limits.push(event.version);
      continue;
    }
    if (event.kind === "introduced") {
      if (event.version === "0" || order.compare(version, event.version) >= 0) {
        affected = true;
        fixedBy = undefined;
      }
    } else if (event.kind === "fixed") {
      if (order.compare(version, event.version) >= 0) affected = false;
      else if (affected && fixedBy === undefined) fixedBy = event.version;
    } else if (order.compare(version, event.version) > 0) {
      affected = false;
    }
  }
  if (affected && limits.length > 0 && !limits.some((limit) => order.compare(version, limit) < 0))
    return false;
  if (!affected) return false;
  return fixedBy === undefined ? {} : { fixedBy };
}

interface Hit {
  fixed: Set<string>;
  severity: Severity | null;
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
        rows = db.affectedFor(plan.ecosystemBase, name).map((row) => prepareRow(row, order));
        if (cache.rows.size >= MAX_CACHED) cache.rows.clear();
        cache.rows.set(key, rows);
      }
      for (const row of rows) {
        if (!plan.accepts(row.ecosystem)) continue;
        const fixed = matchRow(row, plan.version, order);
        if (fixed === undefined) continue;
        const hit = hits.get(row.recordId) ?? { fixed: new Set<string>(), severity: null };
        for (const version of fixed) hit.fixed.add(version);
        hit.severity = maxSeverity(hit.severity, row.severity);
        hits.set(row.recordId, hit);
      }
    }
    for (const [id, hit] of hits) {
      let record = cache.records.get(id);
      if (record === undefined) {
        record = prepareRecord(db, id);
        if (cache.records.size >= MAX_CACHED) cache.records.clear();
        cache.records.set(id, record);
      }
      if (record === null) continue;
      found.push(toVulnerability(record, hit, pkg, order));
    }
  }
  return found;
}

/** The fixed versions of a matching row (possibly none), or undefined when the row does not match. */
function matchRow(
  row: PreparedAffected,
  version: string,
  order: VersionOrder | undefined,
): string[] | undefined {
  let matched = row.versions.has(version);
  const fixed: string[] = [];
  if (order !== undefined && row.ranges !== undefined) {
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
