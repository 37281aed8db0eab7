import type { Distro, Package, Vulnerability } from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import { normalizePackageType } from "../normalize/package-type.js";
import { parsePurl } from "../normalize/purl.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";

const OS_TYPES = new Set(["dpkg", "rpm", "apk"]);

// SECURITY external references that point at an advisory about the package (cpe22Type/cpe23Type only identify it).
const ADVISORY_TYPES = new Set(["advisory", "fix", "url"]);

// CVE and GHSA identifiers inside an advisory locator (a URL that names the vulnerability).
const VULN_ID = /CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}/gi;

// syft names its SPDX ids `SPDXRef-Package-<type>-<name>-<hash>`: the type when a package has no purl.
const SYFT_ID = /^SPDXRef-Package-([a-z0-9-]+?)-/;

/** SPDX 2.x JSON documents (packages; advisory references, where present, as vulnerabilities). */
export const spdxFormat: ReportFormat = {
  id: "spdx",
  name: "SPDX 2.x JSON",
  kind: "sbom",
  shape: '"spdxVersion": "SPDX-2.x"',
  detect(document: unknown): boolean {
    return (
      isObject(document) &&
      typeof document.spdxVersion === "string" &&
      document.spdxVersion.startsWith("SPDX-2")
    );
  },
  parse: parseSpdx,
};

/**
 * Reads an SPDX 2.x JSON document. The package the document describes is the image when it is a
 * container (purpose CONTAINER, a `pkg:oci` purl, or Trivy's `SPDXRef-ContainerImage-…`); an
 * operating-system package gives the distro; every other package is a package of the image. SPDX 2.3
 * has no vulnerability section: a package's SECURITY references of type advisory, fix or url that name
 * a CVE or GHSA are read as findings (severity unknown: SPDX gives none). A document without such
 * references has no vulnerability data.
 */
function parseSpdx(document: unknown, source: string): ParsedReport {
  const r = new DocumentReader("SPDX", source);
  const doc = r.object(document, "(document)");
  const creation = doc.creationInfo === undefined ? {} : r.object(doc.creationInfo, "creationInfo");
  const list = r.array(doc.packages, "packages");
  const packages: Package[] = [];
  const findings: Vulnerability[] = [];
  const scanner = toolOf(creation.creators);
  let hasAdvisories = false;
  let distro: Distro | undefined;
  let image: ParsedReport["image"] | undefined;
  for (let i = 0; i < list.length; i++) {
    const at = `packages[${i}]`;
    const p = r.object(list[i], at);
    const spdxId = optionalString(p.SPDXID) ?? "";
    const purpose = optionalString(p.primaryPackagePurpose)?.toUpperCase();
    const refs = r.array(p.externalRefs, `${at}.externalRefs`);
    let purl: string | undefined;
    const advisories: { type: string; locator: string }[] = [];
    for (let j = 0; j < refs.length; j++) {
      const ref = r.object(refs[j], `${at}.externalRefs[${j}]`);
      const type = optionalString(ref.referenceType)?.toLowerCase();
      const locator = optionalString(ref.referenceLocator);
      if (!type || !locator) continue;
      const category = optionalString(ref.referenceCategory)?.toUpperCase().replace("_", "-");
      if (type === "purl") purl ??= locator;
      else if (category === "SECURITY" && ADVISORY_TYPES.has(type)) advisories.push({ type, locator });
    }
    const parsedPurl = parsePurl(purl);
    if (
      purpose === "CONTAINER" ||
      parsedPurl?.type === "oci" ||
      spdxId.startsWith("SPDXRef-ContainerImage") ||
      spdxId.startsWith("SPDXRef-DocumentRoot-Image-")
    ) {
      image ??= imageOf(p, parsedPurl);
      continue;
    }
    if (purpose === "OPERATING-SYSTEM" || spdxId.startsWith("SPDXRef-OperatingSystem")) {
      const name = optionalString(p.name);
      const version = optionalString(p.versionInfo);
      if (name && !distro) distro = { name: name.toLowerCase(), ...(version ? { version } : {}) };
      continue;
    }
    const name = r.requiredString(p.name, `${at}.name`);
    const type = normalizePackageType(parsedPurl?.type ?? SYFT_ID.exec(spdxId)?.[1]);
    const pkg: Package = { name, version: optionalString(p.versionInfo) ?? parsedPurl?.version ?? "", type };
    const path = OS_TYPES.has(type) ? undefined : pathOf(optionalString(p.sourceInfo));
    if (path) pkg.path = path;
    if (parsedPurl && purl) pkg.purl = purl;
    const license = licenseOf(p.licenseConcluded) ?? licenseOf(p.licenseDeclared);
    if (license) pkg.licenses = [license];
    packages.push(pkg);
    if (advisories.length > 0) {
      hasAdvisories = true;
      findings.push(...findingsOf(pkg, advisories, scanner.name));
    }
  }
  const report: ParsedReport = { format: "spdx", scanner, packages, notes: [] };
  if (hasAdvisories) report.vulnerabilities = findings;
  const produced = optionalTime(creation.created);
  if (produced) report.producedAt = produced;
  if (image) report.image = image;
  if (distro) report.distro = distro;
  return report;
}

// One finding per identifier a package's advisory references name; an advisory link wins over a fix or plain link as the url.
function findingsOf(
  pkg: Package,
  advisories: { type: string; locator: string }[],
  scanner: string,
): Vulnerability[] {
  const byId = new Map<string, Vulnerability>();
  for (const { type, locator } of advisories) {
    for (const match of locator.matchAll(VULN_ID)) {
      const text = match[0];
      const id = text.toUpperCase().startsWith("CVE")
        ? text.toUpperCase()
        : `GHSA${text.slice(4).toLowerCase()}`;
      let finding = byId.get(id);
      if (!finding) {
        finding = {
          id,
          package: {
            name: pkg.name,
            version: pkg.version,
            type: pkg.type,
            ...(pkg.path ? { path: pkg.path } : {}),
            ...(pkg.purl ? { purl: pkg.purl } : {}),
          },
          severity: "unknown",
          fix: { state: "unknown", versions: [] },
          url: locator,
          sources: [scanner],
        };
        byId.set(id, finding);
      } else if (type === "advisory") {
        finding.url = locator;
      }
      // A fix reference says a fix exists, though SPDX gives no version.
      if (type === "fix") finding.fix = { state: "fixed", versions: [] };
    }
  }
  return [...byId.values()];
}

function licenseOf(value: unknown): string | undefined {
  const text = optionalString(value);
  if (!text || text === "NOASSERTION" || text === "NONE") return undefined;
  return text;
}

// syft's sourceInfo ends with the file the package was found in ("…manifest file: /usr/lib/…"); Trivy's names no file.
function pathOf(sourceInfo: string | undefined): string | undefined {
  if (!sourceInfo) return undefined;
  const colon = sourceInfo.lastIndexOf(": /");
  if (colon < 0) return undefined;
  const rest = sourceInfo.slice(colon + 2);
  const end = rest.search(/[,\s]/);
  return end < 0 ? rest : rest.slice(0, end);
}

function toolOf(creators: unknown): ParsedReport["scanner"] {
  if (Array.isArray(creators)) {
    for (const c of creators) {
      if (typeof c !== "string" || !c.startsWith("Tool:")) continue;
      const tool = c.slice(5).trim();
      // "syft-1.50.0", "trivy-dev", "syft-v0.42.0-bogus": the name, then a version that starts with a digit, "v" and a digit, or "dev".
      const match = /^(.+?)-(v?\d.*|dev)$/.exec(tool);
      if (match) return { name: (match[1] as string).toLowerCase(), version: match[2] as string };
      if (tool !== "") return { name: tool.toLowerCase() };
    }
  }
  return { name: "spdx" };
}

function imageOf(p: JsonObject, purl: ReturnType<typeof parsePurl>): NonNullable<ParsedReport["image"]> {
  const image: NonNullable<ParsedReport["image"]> = {};
  const repoDigests: string[] = [];
  if (Array.isArray(p.attributionTexts)) {
    // Trivy writes the image's metadata as "Key: value" attribution texts.
    for (const text of p.attributionTexts) {
      if (typeof text !== "string") continue;
      const colon = text.indexOf(": ");
      if (colon < 0) continue;
      const key = text.slice(0, colon);
      const value = text.slice(colon + 2).trim();
      if (value === "") continue;
      if (key === "RepoTag" || key === "Reference") image.ref ??= value;
      else if (key === "RepoDigest") repoDigests.push(value);
      else if (key === "ImageID") image.imageId ??= value;
    }
  }
  const name = optionalString(p.name);
  if (
    !image.ref &&
    name &&
    !/\.(tar|tgz|tar\.gz)$/.test(name) &&
    !name.startsWith("/") &&
    !name.startsWith(".")
  )
    image.ref = name;
  if (purl?.type === "oci" && purl.version?.startsWith("sha256:")) image.digest = purl.version;
  else if (repoDigests.length > 0) {
    const at = (repoDigests[0] as string).indexOf("@");
    if (at > 0) image.digest = (repoDigests[0] as string).slice(at + 1);
  }
  if (repoDigests.length > 0) image.repoDigests = repoDigests;
  return image;
}
