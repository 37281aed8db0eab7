import type { CvssEntry, Distro, FixState, Package, Vulnerability } from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { normalizeSeverity, severityFromCvss } from "../normalize/severity.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { cvssVersion, shortDescription } from "./findings-common.js";

const SCANNER = "twistlock";

// Distribution pretty names (as twistcli prints them) by leading words, onto os-release ids.
const DISTRO_PREFIXES: readonly [string, string][] = [
  ["debian", "debian"],
  ["ubuntu", "ubuntu"],
  ["alpine", "alpine"],
  ["red hat", "rhel"],
  ["rhel", "rhel"],
  ["centos", "centos"],
  ["rocky", "rocky"],
  ["almalinux", "almalinux"],
  ["alma", "almalinux"],
  ["amazon", "amzn"],
  ["oracle", "ol"],
  ["suse linux enterprise", "sles"],
  ["sles", "sles"],
  ["opensuse leap", "opensuse-leap"],
  ["opensuse tumbleweed", "opensuse-tumbleweed"],
  ["fedora", "fedora"],
  ["photon", "photon"],
  ["wolfi", "wolfi"],
  ["chainguard", "chainguard"],
  ["cbl-mariner", "mariner"],
  ["common base linux mariner", "mariner"],
  ["azure linux", "azurelinux"],
];

// twistcli's package type words that the shared table does not know.
const TWISTLOCK_TYPES: Record<string, string> = { nodejs: "npm", package: "unknown" };

/** Prisma Cloud / Twistlock `twistcli images scan --details` JSON output (`results[]` with vulnerabilities and compliances). */
export const twistlockFormat: ReportFormat = {
  id: "twistlock",
  name: "Prisma Cloud / Twistlock twistcli JSON",
  kind: "scanner",
  shape:
    'a "results" list whose first entry has "vulnerabilityDistribution", "complianceDistribution" or "vulnerabilities" and "distro"',
  detect(document: unknown): boolean {
    if (!isObject(document) || !Array.isArray(document.results)) return false;
    const first = document.results[0];
    if (!isObject(first)) return false;
    return (
      "vulnerabilityDistribution" in first ||
      "complianceDistribution" in first ||
      (Array.isArray(first.vulnerabilities) && typeof first.distro === "string")
    );
  },
  parse: parseTwistlock,
};

/**
 * Reads twistcli JSON. `packageName` as twistcli writes it for OS findings ("glibc (used in libc6,
 * libc-bin)") is the source package; the finding names the source package and leaves out the list.
 * A status "fixed in 1.2, 1.3" gives the fixed versions; compliance issues go into the notes.
 */
function parseTwistlock(document: unknown, source: string): ParsedReport {
  const r = new DocumentReader("Twistlock", source);
  const doc = r.object(document, "(document)");
  const results = r.array(doc.results, "results");
  if (results.length === 0) throw r.invalid("results", "the report lists no scanned image");
  const packages: Package[] = [];
  const findings = new Map<string, Vulnerability>();
  const compliance = new Map<string, number>();
  let complianceTotal = 0;
  let first: { result: JsonObject; distro?: Distro } | undefined;
  for (let i = 0; i < results.length; i++) {
    const at = `results[${i}]`;
    const result = r.object(results[i], at);
    const distro = distroOf(optionalString(result.distro));
    first ??= { result, ...(distro ? { distro } : {}) };
    const osType = osPackageType(distro);
    const types = new Map<string, string>();
    const list = r.array(result.packages, `${at}.packages`);
    for (let j = 0; j < list.length; j++) {
      const p = r.object(list[j], `${at}.packages[${j}]`);
      const name = r.requiredString(p.name, `${at}.packages[${j}].name`);
      const version = optionalString(p.version) ?? "";
      const type = packageType(optionalString(p.type), osType);
      types.set(`${name}\u0000${version}`, type);
      const path = optionalString(p.path);
      const licenses = Array.isArray(p.licenses)
        ? p.licenses.filter((l): l is string => typeof l === "string" && l !== "")
        : [];
      packages.push({
        name,
        version,
        type,
        ...(path ? { path } : {}),
        ...(licenses.length > 0 ? { licenses } : {}),
      });
    }
    const apps = r.array(result.applications, `${at}.applications`);
    for (let j = 0; j < apps.length; j++) {
      const app = r.object(apps[j], `${at}.applications[${j}]`);
      const name = r.requiredString(app.name, `${at}.applications[${j}].name`);
      const path = optionalString(app.path);
      packages.push({
        name,
        version: optionalString(app.version) ?? "",
        type: "binary",
        ...(path ? { path } : {}),
      });
    }
    const vulns = r.array(result.vulnerabilities, `${at}.vulnerabilities`);
    for (let j = 0; j < vulns.length; j++) {
      const finding = readVulnerability(
        r,
        r.object(vulns[j], `${at}.vulnerabilities[${j}]`),
        `${at}.vulnerabilities[${j}]`,
        types,
        osType,
      );
      const key = `${finding.id}\u0000${finding.package.name}\u0000${finding.package.version}\u0000${finding.package.path ?? ""}`;
      if (!findings.has(key)) findings.set(key, finding);
    }
    const checks = r.array(result.compliances, `${at}.compliances`);
    for (const check of checks) {
      complianceTotal++;
      const severity = (isObject(check) && optionalString(check.severity)?.toLowerCase()) || "unknown";
      compliance.set(severity, (compliance.get(severity) ?? 0) + 1);
    }
  }
  const notes: string[] = [];
  if (complianceTotal > 0) {
    const bySeverity = [...compliance.entries()].map(([s, n]) => `${s} ${n}`).join(", ");
    notes.push(
      `Twistlock: ${complianceTotal} compliance issue${complianceTotal === 1 ? "" : "s"} (${bySeverity})`,
    );
  }
  if (results.length > 1)
    notes.push(`Twistlock: the report covers ${results.length} images; the findings of all are read`);

  const report: ParsedReport = {
    format: "twistlock",
    scanner: { name: SCANNER },
    packages,
    vulnerabilities: [...findings.values()],
    notes,
  };
  const head = (first as { result: JsonObject; distro?: Distro }).result;
  const image = imageOf(head);
  if (image) report.image = image;
  const produced = optionalTime(head.scanTime);
  if (produced) report.producedAt = produced;
  if (first?.distro) report.distro = first.distro;
  return report;
}

function readVulnerability(
  r: DocumentReader,
  v: JsonObject,
  at: string,
  types: ReadonlyMap<string, string>,
  osType: string,
): Vulnerability {
  const id = r.requiredString(v.id, `${at}.id`);
  const written = r.requiredString(v.packageName, `${at}.packageName`);
  const usedIn = written.indexOf(" (used in ");
  const name = usedIn > 0 ? written.slice(0, usedIn) : written;
  const version = r.requiredString(v.packageVersion, `${at}.packageVersion`);
  const path = optionalString(v.packagePath);
  const type =
    types.get(`${name}\u0000${version}`) ??
    (usedIn > 0 ? osType : path?.endsWith(".jar") ? "java" : "unknown");

  const score = optionalNumber(v.cvss);
  const vector = optionalString(v.vector);
  const link = optionalString(v.link);
  const cvss: CvssEntry[] = [];
  if (score !== undefined && vector !== undefined) {
    const nvd = link?.includes("nvd.nist.gov") === true;
    cvss.push({
      version: cvssVersion(vector, vector.includes("/Au:") ? "2.0" : "3.0"),
      source: nvd ? "nvd" : "vendor",
      sourceName: nvd ? "nvd" : SCANNER,
      baseScore: score,
      vector,
    });
  }
  const word = optionalString(v.severity)?.toLowerCase();
  const severity =
    (word === "unimportant" ? "negligible" : normalizeSeverity(word)) ??
    (score !== undefined ? severityFromCvss(score) : "unknown");

  const finding: Vulnerability = {
    id,
    package: { name, version, type, ...(path ? { path } : {}) },
    severity,
    fix: fixOf(optionalString(v.status)),
    sources: [SCANNER],
  };
  if (cvss.length > 0) finding.cvss = cvss;
  const published = optionalTime(v.publishedDate);
  if (published) finding.publishedAt = published;
  const discovered = optionalTime(v.discoveredDate);
  if (discovered) finding.detectedAt = discovered;
  const fixDate = optionalTime(v.fixDate);
  if (fixDate && finding.fix.state === "fixed") finding.fixAvailableAt = fixDate;
  if (link) finding.url = link;
  const description = shortText(optionalString(v.description));
  if (description) finding.description = description;
  return finding;
}

/** Fix state of a twistcli status: "fixed in 1.2, 1.3", "open", "will not fix", "end of life", … */
function fixOf(status: string | undefined): { state: FixState; versions: string[] } {
  if (status === undefined) return { state: "unknown", versions: [] };
  const lower = status.toLowerCase().trim();
  if (lower.startsWith("fixed in ")) {
    const versions = status
      .slice("fixed in ".length)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    return { state: "fixed", versions };
  }
  if (lower === "fixed") return { state: "fixed", versions: [] };
  if (
    lower.includes("will not fix") ||
    lower.includes("won't fix") ||
    lower.includes("wont fix") ||
    lower === "wontfix"
  ) {
    return { state: "wont-fix", versions: [] };
  }
  if (lower.includes("end of life") || lower.includes("end-of-life") || lower === "eol")
    return { state: "end-of-life", versions: [] };
  if (["open", "affected", "needed", "deferred", "new", "not fixed", "unfixed"].includes(lower))
    return { state: "not-fixed", versions: [] };
  return { state: "unknown", versions: [] };
}

function distroOf(pretty: string | undefined): Distro | undefined {
  if (!pretty) return undefined;
  const lower = pretty.toLowerCase();
  const match = DISTRO_PREFIXES.find(([prefix]) => lower.startsWith(prefix));
  if (!match) return undefined;
  const digits = /\d+(\.\d+)*/.exec(pretty.slice(match[0].length));
  let version = digits?.[0];
  // os-release VERSION_ID of Ubuntu is major.minor, though the pretty name carries the point release.
  if (version && match[1] === "ubuntu") version = version.split(".").slice(0, 2).join(".");
  return { name: match[1], ...(version ? { version } : {}) };
}

function osPackageType(distro: Distro | undefined): string {
  if (!distro) return "unknown";
  if (distro.name === "debian" || distro.name === "ubuntu") return "dpkg";
  if (distro.name === "alpine" || distro.name === "wolfi" || distro.name === "chainguard") return "apk";
  return "rpm";
}

function packageType(word: string | undefined, osType: string): string {
  const lower = word?.toLowerCase();
  if (lower === "os") return osType;
  return (lower !== undefined ? TWISTLOCK_TYPES[lower] : undefined) ?? normalizePackageType(lower);
}

function imageOf(result: JsonObject): ParsedReport["image"] | undefined {
  const id = optionalString(result.id);
  const ref = optionalString(result.name);
  const digest = optionalString(result.digest);
  const image: NonNullable<ParsedReport["image"]> = {};
  if (ref) image.ref = ref;
  if (digest?.startsWith("sha256:")) image.digest = digest;
  if (id?.startsWith("sha256:")) image.imageId = id;
  return Object.keys(image).length > 0 ? image : undefined;
}

// Plain text of a description that may carry HTML, cut to a few sentences.
function shortText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const plain = text.replace(/<[^>]*>/g, " ").trim();
  return plain === "" || plain === "\\" ? undefined : shortDescription(plain);
}
