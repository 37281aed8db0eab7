import type {
  CvssEntry,
  Distro,
  Package,
  Severity,
  VexAssessment,
  Vulnerability,
} from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { parsePurl } from "../normalize/purl.js";
import { normalizeSeverity, severityFromCvss } from "../normalize/severity.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { cvssVersion, shortDescription, splitRelatedIds } from "./findings-common.js";

const OS_TYPES = new Set(["dpkg", "rpm", "apk"]);

// CycloneDX rating methods that are CVSS, with the version each stands for when the vector does not say.
const CVSS_METHODS: Record<string, string> = { CVSSv2: "2.0", CVSSv3: "3.0", CVSSv31: "3.1", CVSSv4: "4.0" };

// CycloneDX analysis states onto VEX statuses; `in_triage` (CycloneDX's "not analysed yet", which grype sets on every finding) is no assessment.
const ANALYSIS_STATES: Record<string, VexAssessment["status"]> = {
  resolved: "fixed",
  resolved_with_pedigree: "fixed",
  exploitable: "affected",
  false_positive: "not_affected",
  not_affected: "not_affected",
};

/**
 * True for a CycloneDX VEX document rather than a BOM: it lists no components and at least one of its
 * vulnerabilities carries an `analysis`. Such documents are read by the CycloneDX VEX format; every other
 * CycloneDX document (components, or vulnerabilities without analysis, or neither) is read here.
 */
export function isCycloneDxVex(document: JsonObject): boolean {
  if (Array.isArray(document.components) && document.components.length > 0) return false;
  return (
    Array.isArray(document.vulnerabilities) &&
    document.vulnerabilities.some((v) => isObject(v) && isObject(v.analysis))
  );
}

/** CycloneDX JSON BOMs (components, nested components, and vulnerabilities when present). */
export const cyclonedxFormat: ReportFormat = {
  id: "cyclonedx",
  name: "CycloneDX JSON",
  kind: "sbom",
  shape: '"bomFormat": "CycloneDX"',
  detect(document: unknown): boolean {
    return isObject(document) && document.bomFormat === "CycloneDX" && !isCycloneDxVex(document);
  },
  parse: parseCycloneDx,
};

interface Entry {
  component: JsonObject;
  pkg?: Package;
}

/**
 * Reads a CycloneDX JSON BOM: every component with a purl (or a versioned library without one), at any
 * depth, is a package; the `operating-system` component is the distro; `metadata.component` describes the
 * image. Each vulnerability gives one finding per affected component. An `analysis` other than
 * `in_triage` becomes the finding's VEX assessment. A BOM without vulnerabilities (no list, or an empty
 * one) leaves `vulnerabilities` undefined: no vulnerability data.
 */
function parseCycloneDx(document: unknown, source: string): ParsedReport {
  const r = new DocumentReader("CycloneDX", source);
  const doc = r.object(document, "(document)");
  const metadata = doc.metadata === undefined ? {} : r.object(doc.metadata, "metadata");
  const scanner = toolOf(metadata.tools);
  const byRef = new Map<string, Entry>();
  const packages: Package[] = [];
  let distro: Distro | undefined;

  // Depth-first over nested components without recursion, so deep nesting cannot overflow the stack.
  const stack: { value: unknown; at: string }[] = [];
  const pushChildren = (list: unknown, at: string) => {
    const items = r.array(list, at);
    for (let i = items.length - 1; i >= 0; i--) stack.push({ value: items[i], at: `${at}[${i}]` });
  };
  pushChildren(doc.components, "components");
  while (stack.length > 0) {
    const { value, at } = stack.pop() as { value: unknown; at: string };
    const component = r.object(value, at);
    const entry: Entry = { component };
    const type = optionalString(component.type);
    if (type === "operating-system") {
      const name = optionalString(component.name);
      const version = optionalString(component.version);
      if (name && !distro) distro = { name: name.toLowerCase(), ...(version ? { version } : {}) };
    } else if (type !== "container") {
      const pkg = packageOf(r, component, at);
      if (pkg) {
        entry.pkg = pkg;
        packages.push(pkg);
      }
    }
    const ref = optionalString(component["bom-ref"]);
    if (ref) byRef.set(ref, entry);
    if (component.components !== undefined) pushChildren(component.components, `${at}.components`);
  }

  const notes: string[] = [];
  const report: ParsedReport = {
    format: "cyclonedx",
    scanner,
    packages,
    notes,
  };
  // An empty list is no vulnerability data: SBOM tools (Trivy's CycloneDX output) write it empty without scanning.
  if (Array.isArray(doc.vulnerabilities) && doc.vulnerabilities.length > 0) {
    const vexDocument = `cyclonedx:${optionalString(doc.serialNumber) ?? source}`;
    const { findings, unresolved } = readVulnerabilities(
      r,
      doc.vulnerabilities,
      byRef,
      scanner.name,
      vexDocument,
    );
    report.vulnerabilities = findings;
    if (unresolved > 0) {
      notes.push(
        `CycloneDX: ${unresolved} affected reference${unresolved === 1 ? " is" : "s are"} not a component of this BOM; the finding names the reference`,
      );
    }
  } else {
    r.array(doc.vulnerabilities, "vulnerabilities");
  }
  const produced = optionalTime(metadata.timestamp);
  if (produced) report.producedAt = produced;
  const image = isObject(metadata.component) ? imageOf(metadata.component) : undefined;
  if (image) report.image = image;
  if (distro) report.distro = distro;
  return report;
}

function packageOf(r: DocumentReader, component: JsonObject, at: string): Package | undefined {
  const purl = optionalString(component.purl);
  const parsed = parsePurl(purl);
  const type = optionalString(component.type);
  const version = optionalString(component.version);
  // A component is a package when it has a purl; without one only a versioned library or framework is (applications without a purl are lockfiles and the like).
  if (!parsed && !((type === "library" || type === "framework") && version)) return undefined;
  const name = optionalString(component.name) ?? parsed?.name;
  if (!name) throw r.invalid(`${at}.name`, "a component has neither a name nor a purl");
  const props = propertiesOf(component.properties);
  const pkgType = normalizePackageType(
    parsed?.type ?? props.get("aquasecurity:trivy:PkgType") ?? props.get("syft:package:type"),
  );
  const pkg: Package = { name, version: version ?? parsed?.version ?? "", type: pkgType };
  const path = props.get("aquasecurity:trivy:FilePath") ?? props.get("syft:location:0:path");
  if (path && !OS_TYPES.has(pkgType)) pkg.path = path;
  if (parsed && purl) pkg.purl = purl;
  const licenses = licensesOf(component.licenses);
  if (licenses.length > 0) pkg.licenses = licenses;
  return pkg;
}

function readVulnerabilities(
  r: DocumentReader,
  list: unknown[],
  byRef: ReadonlyMap<string, Entry>,
  scanner: string,
  document: string,
): { findings: Vulnerability[]; unresolved: number } {
  const findings = new Map<string, Vulnerability>();
  let unresolved = 0;
  for (let i = 0; i < list.length; i++) {
    const at = `vulnerabilities[${i}]`;
    const v = r.object(list[i], at);
    const id = r.requiredString(v.id, `${at}.id`);
    const sourceName = isObject(v.source) ? optionalString(v.source.name) : undefined;
    const ratings = r.array(v.ratings, `${at}.ratings`);
    const cvss = cvssOf(ratings, sourceName);
    const severity = severityOf(ratings, sourceName, cvss);
    const base: Omit<Vulnerability, "package"> = { id, severity, fix: fixOf(v.analysis), sources: [scanner] };
    // A record referencing several vulnerabilities (or an advisory's) covers them: advisories, never aliases
    const related = splitRelatedIds(id, referencedIds(v.references, id));
    if (related.aliases) base.aliases = related.aliases;
    if (related.advisories) base.advisories = related.advisories;
    if (cvss.length > 0) base.cvss = cvss;
    const published = optionalTime(v.published);
    if (published) base.publishedAt = published;
    const url = urlOf(v, id);
    if (url) base.url = url;
    const description = shortDescription(optionalString(v.description) ?? optionalString(v.detail));
    if (description) base.description = description;
    const vex = vexOf(v.analysis, document);
    if (vex) base.vex = vex;
    const affects = r.array(v.affects, `${at}.affects`);
    for (let j = 0; j < affects.length; j++) {
      const affect = r.object(affects[j], `${at}.affects[${j}]`);
      const ref = r.requiredString(affect.ref, `${at}.affects[${j}].ref`);
      const local = ref.startsWith("urn:cdx:") && ref.includes("#") ? ref.slice(ref.indexOf("#") + 1) : ref;
      const pkg = byRef.get(local)?.pkg ?? byRef.get(ref)?.pkg;
      let target: Vulnerability["package"];
      if (pkg) {
        target = {
          name: pkg.name,
          version: pkg.version,
          type: pkg.type,
          ...(pkg.path ? { path: pkg.path } : {}),
          ...(pkg.purl ? { purl: pkg.purl } : {}),
        };
      } else {
        unresolved++;
        const purl = parsePurl(local);
        target = purl
          ? {
              name: purl.name,
              version: purl.version ?? "",
              type: normalizePackageType(purl.type),
              purl: local,
            }
          : { name: local, version: "", type: "unknown" };
      }
      const key = `${id}\u0000${target.name}\u0000${target.version}\u0000${target.path ?? ""}`;
      if (!findings.has(key)) findings.set(key, { ...base, package: target });
    }
  }
  return { findings: [...findings.values()], unresolved };
}

function cvssOf(ratings: unknown[], vulnSource: string | undefined): CvssEntry[] {
  const out: CvssEntry[] = [];
  for (const rating of ratings) {
    if (!isObject(rating)) continue;
    const method = optionalString(rating.method);
    const fallback = method !== undefined ? CVSS_METHODS[method] : undefined;
    const score = optionalNumber(rating.score);
    if (!fallback || score === undefined) continue;
    const scorer = (isObject(rating.source) ? optionalString(rating.source.name) : undefined) ?? vulnSource;
    const vector = optionalString(rating.vector);
    const lower = scorer?.toLowerCase();
    out.push({
      version: cvssVersion(vector, fallback),
      source: lower === "nvd" || lower?.startsWith("nvd:") ? "nvd" : "vendor",
      ...(scorer ? { sourceName: scorer } : {}),
      baseScore: score,
      ...(vector ? { vector } : {}),
    });
  }
  return out;
}

// The severity the vulnerability's own source gives; else the first rating's word; else the CVSS v3 score banded (NVD's first).
function severityOf(ratings: unknown[], vulnSource: string | undefined, cvss: CvssEntry[]): Severity {
  const wanted = vulnSource?.toLowerCase();
  let first: Severity | undefined;
  for (const rating of ratings) {
    if (!isObject(rating)) continue;
    const severity = normalizeSeverity(optionalString(rating.severity));
    if (!severity || severity === "unknown") continue;
    const scorer = isObject(rating.source) ? optionalString(rating.source.name)?.toLowerCase() : undefined;
    if (wanted !== undefined && scorer === wanted) return severity;
    first ??= severity;
  }
  if (first) return first;
  const v3 =
    cvss.find((c) => c.source === "nvd" && c.version.startsWith("3")) ??
    cvss.find((c) => c.version.startsWith("3"));
  return v3 ? severityFromCvss(v3.baseScore) : "unknown";
}

function fixOf(analysis: unknown): Vulnerability["fix"] {
  if (isObject(analysis) && Array.isArray(analysis.response) && analysis.response.includes("will_not_fix")) {
    return { state: "wont-fix", versions: [] };
  }
  return { state: "unknown", versions: [] };
}

function vexOf(analysis: unknown, document: string): VexAssessment | undefined {
  if (!isObject(analysis)) return undefined;
  const state = optionalString(analysis.state);
  const status = state !== undefined ? ANALYSIS_STATES[state] : undefined;
  if (!status) return undefined;
  const justification = optionalString(analysis.justification);
  const detail = optionalString(analysis.detail);
  return {
    status,
    ...(justification ? { justification } : {}),
    ...(detail ? { statement: detail } : {}),
    document,
  };
}

function referencedIds(references: unknown, id: string): string[] {
  if (!Array.isArray(references)) return [];
  const out = new Set<string>();
  for (const ref of references) {
    const alias = isObject(ref) ? optionalString(ref.id) : undefined;
    if (alias && alias !== id) out.add(alias);
  }
  return [...out];
}

// The source's link when it is about this vulnerability (it names the id), else the first advisory, else the source's link.
function urlOf(v: JsonObject, id: string): string | undefined {
  const sourceUrl = isObject(v.source) ? optionalString(v.source.url) : undefined;
  if (sourceUrl?.includes(id)) return sourceUrl;
  if (Array.isArray(v.advisories)) {
    for (const a of v.advisories) {
      const url = isObject(a) ? optionalString(a.url) : undefined;
      if (url) return url;
    }
  }
  return sourceUrl;
}

function toolOf(tools: unknown): ParsedReport["scanner"] {
  // CycloneDX 1.5+ nests tools under `components`; earlier versions list them directly.
  const list = Array.isArray(tools)
    ? tools
    : isObject(tools) && Array.isArray(tools.components)
      ? tools.components
      : [];
  for (const tool of list) {
    if (!isObject(tool)) continue;
    const name = optionalString(tool.name);
    if (!name) continue;
    const version = optionalString(tool.version);
    return { name: name.toLowerCase(), ...(version ? { version } : {}) };
  }
  return { name: "cyclonedx" };
}

function propertiesOf(properties: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(properties)) return out;
  for (const p of properties) {
    if (!isObject(p)) continue;
    const name = optionalString(p.name);
    const value = optionalString(p.value);
    if (name && value && !out.has(name)) out.set(name, value);
  }
  return out;
}

function licensesOf(licenses: unknown): string[] {
  if (!Array.isArray(licenses)) return [];
  const out: string[] = [];
  for (const l of licenses) {
    if (!isObject(l)) continue;
    const expression = optionalString(l.expression);
    if (expression) {
      out.push(expression);
      continue;
    }
    const license = isObject(l.license) ? l.license : undefined;
    const text = license ? (optionalString(license.id) ?? optionalString(license.name)) : undefined;
    if (text) out.push(text);
  }
  return out;
}

// The image as `metadata.component` describes it; Trivy adds RepoTag/RepoDigest/ImageID properties, others a `pkg:oci` purl.
function imageOf(component: JsonObject): ParsedReport["image"] | undefined {
  if (optionalString(component.type) !== "container") return undefined;
  const props = Array.isArray(component.properties) ? component.properties.filter(isObject) : [];
  const repoDigests: string[] = [];
  let ref: string | undefined;
  let imageId: string | undefined;
  for (const p of props) {
    const name = optionalString(p.name);
    const value = optionalString(p.value);
    if (!value) continue;
    if (name === "aquasecurity:trivy:RepoTag" || name === "aquasecurity:trivy:Reference") ref ??= value;
    else if (name === "aquasecurity:trivy:RepoDigest") repoDigests.push(value);
    else if (name === "aquasecurity:trivy:ImageID") imageId ??= value;
  }
  const name = optionalString(component.name);
  // A name that is a path to an archive (`images/centos-7.tar.gz`) is not an image reference.
  if (!ref && name && !/\.(tar|tgz|tar\.gz)$/.test(name) && !name.startsWith("/") && !name.startsWith("."))
    ref = name;
  const purl = parsePurl(optionalString(component.purl));
  let digest = purl?.type === "oci" && purl.version?.startsWith("sha256:") ? purl.version : undefined;
  if (!digest && repoDigests.length > 0) {
    const at = (repoDigests[0] as string).indexOf("@");
    if (at > 0) digest = (repoDigests[0] as string).slice(at + 1);
  }
  const image: NonNullable<ParsedReport["image"]> = {};
  if (ref) image.ref = ref;
  if (digest) image.digest = digest;
  if (imageId) image.imageId = imageId;
  if (repoDigests.length > 0) image.repoDigests = repoDigests;
  return Object.keys(image).length > 0 ? image : undefined;
}
