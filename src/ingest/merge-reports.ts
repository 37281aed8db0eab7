import type { CvssEntry, ImageFacts, ImageRef, Package, Provenance, Vulnerability } from "../model/index.js";
import type { ParsedReport } from "./parsed-report.js";

/**
 * Merges the facts several reports give about one image into the facts the policy sees. The same
 * vulnerability (by id or one-to-one alias, never by advisory) on the same package and location appears once, citing every scanner that
 * found it, with the union of their CVSS entries and fixed versions and the highest severity. Packages are
 * unified by type, name, version and location, from reports that list the whole inventory only. `base`
 * (facts from a file or the image itself) wins where both say something about the image.
 */
export function mergeReports(
  reports: readonly ParsedReport[],
  base: Partial<ImageFacts>,
  ref: ImageRef,
): ImageFacts {
  const facts: ImageFacts = { ...base, ref };
  const provenance: Provenance[] = [...(base.provenance ?? [])];
  const packages = new PackageSet(base.packages ?? []);
  const vulnerabilities = new VulnerabilitySet(base.vulnerabilities ?? []);
  let anyVulnerabilityData = base.vulnerabilities !== undefined;
  for (const report of reports) {
    provenance.push({
      source: report.scanner.name,
      ...(report.scanner.version !== undefined ? { version: report.scanner.version } : {}),
      ...(report.producedAt !== undefined ? { producedAt: report.producedAt } : {}),
      ...(report.dbUpdatedAt !== undefined ? { dbUpdatedAt: report.dbUpdatedAt } : {}),
    });
    // Packages named only by vulnerability findings are not the image's inventory.
    if (report.inventory !== "partial") for (const p of report.packages) packages.add(p);
    if (report.vulnerabilities !== undefined) {
      anyVulnerabilityData = true;
      for (const v of report.vulnerabilities) vulnerabilities.add(v, report.scanner.name);
    }
    facts.distro ??= report.distro;
    facts.platform ??= report.platform;
    facts.config ??= report.config;
    facts.layers ??= report.layers;
    if (report.secrets) facts.secrets = [...(facts.secrets ?? []), ...report.secrets];
    facts.digest ??= report.image?.digest;
    facts.imageId ??= report.image?.imageId;
  }
  const merged: ImageFacts = { ...facts, provenance };
  if (packages.size > 0 || base.packages) merged.packages = packages.values();
  if (anyVulnerabilityData) merged.vulnerabilities = vulnerabilities.values();
  for (const key of ["distro", "platform", "config", "layers", "digest", "imageId", "secrets"] as const) {
    if (merged[key] === undefined) delete merged[key];
  }
  return merged;
}

class PackageSet {
  private readonly byKey = new Map<string, Package>();
  constructor(initial: readonly Package[]) {
    for (const p of initial) this.add(p);
  }
  get size(): number {
    return this.byKey.size;
  }
  add(p: Package): void {
    const key = `${p.type}\u0000${p.name}\u0000${p.version}\u0000${p.path ?? ""}`;
    const seen = this.byKey.get(key);
    if (!seen) this.byKey.set(key, p);
    else if (!seen.purl && p.purl) this.byKey.set(key, { ...seen, purl: p.purl });
  }
  values(): Package[] {
    return [...this.byKey.values()];
  }
}

class VulnerabilitySet {
  private readonly list: Vulnerability[] = [];
  /** Index by (any id or alias) + package identity → position in the list. */
  private readonly index = new Map<string, number>();
  constructor(initial: readonly Vulnerability[]) {
    for (const v of initial) this.add(v, undefined);
  }
  add(v: Vulnerability, scanner: string | undefined): void {
    const where = packageIdentity(v);
    const ids = [v.id, ...(v.aliases ?? [])];
    for (const id of ids) {
      const at = this.index.get(`${id}\u0000${where}`);
      if (at !== undefined) {
        this.list[at] = combine(this.list[at] as Vulnerability, v, scanner);
        for (const other of ids) this.index.set(`${other}\u0000${where}`, at);
        return;
      }
    }
    const sources = [...new Set([...(v.sources ?? []), ...(scanner ? [scanner] : [])])];
    this.list.push(sources.length > 0 ? { ...v, sources } : v);
    for (const id of ids) this.index.set(`${id}\u0000${where}`, this.list.length - 1);
  }
  values(): Vulnerability[] {
    return this.list;
  }
}

function packageIdentity(v: Vulnerability): string {
  return `${v.package.name}\u0000${v.package.version}\u0000${v.package.path ?? ""}`;
}

const RANK = { unknown: 0, negligible: 1, low: 2, medium: 3, high: 4, critical: 5 } as const;

function combine(a: Vulnerability, b: Vulnerability, scanner: string | undefined): Vulnerability {
  const aliases = new Set([...(a.aliases ?? []), ...(b.aliases ?? []), ...(b.id !== a.id ? [b.id] : [])]);
  aliases.delete(a.id);
  const advisories = new Set([...(a.advisories ?? []), ...(b.advisories ?? [])]);
  const cvss = [...(a.cvss ?? [])];
  for (const entry of b.cvss ?? []) if (!cvss.some((c) => sameCvss(c, entry))) cvss.push(entry);
  const fixVersions = [...new Set([...a.fix.versions, ...b.fix.versions])];
  const fixState = a.fix.state !== "unknown" ? a.fix.state : b.fix.state;
  const sources = [...new Set([...(a.sources ?? []), ...(b.sources ?? []), ...(scanner ? [scanner] : [])])];
  return {
    ...b,
    ...a,
    severity: RANK[b.severity] > RANK[a.severity] ? b.severity : a.severity,
    fix: {
      state: fixVersions.length > 0 && fixState !== "wont-fix" ? "fixed" : fixState,
      versions: fixVersions,
    },
    ...(aliases.size > 0 ? { aliases: [...aliases] } : {}),
    ...(advisories.size > 0 ? { advisories: [...advisories] } : {}),
    ...(cvss.length > 0 ? { cvss } : {}),
    sources,
    ...(a.knownExploited || b.knownExploited ? { knownExploited: true } : {}),
  };
}

function sameCvss(a: CvssEntry, b: CvssEntry): boolean {
  return (
    a.version === b.version &&
    a.source === b.source &&
    a.baseScore === b.baseScore &&
    (a.sourceName ?? "") === (b.sourceName ?? "")
  );
}
