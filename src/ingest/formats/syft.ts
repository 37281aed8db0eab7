import type { Package } from "../../model/index.js";
import {
  DocumentReader,
  isObject,
  type JsonObject,
  optionalString,
  optionalTime,
} from "../document-reader.js";
import { normalizePackageType } from "../normalize/package-type.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { grypeDistro, readSource } from "./grype.js";

const FORMAT_NAME = "Syft JSON";
const OS_PACKAGE_TYPES = new Set(["dpkg", "rpm", "apk"]);

/**
 * Syft's own JSON SBOM (`syft -o json`): `artifacts[]` (the packages), `source` (the image), `distro` and
 * `descriptor`. It holds no vulnerability data, so `vulnerabilities` stays undefined.
 */
export const syftFormat: ReportFormat = {
  id: "syft",
  name: FORMAT_NAME,
  kind: "sbom",
  shape:
    'an "artifacts" list (with a syft "descriptor" or "schema", or "artifactRelationships") and no "matches"',
  detect(document: unknown): boolean {
    if (!isObject(document) || !Array.isArray(document.artifacts) || "matches" in document) return false;
    if (isObject(document.descriptor) && document.descriptor.name === "syft") return true;
    if (isObject(document.schema) && typeof document.schema.url === "string") {
      return document.schema.url.includes("syft");
    }
    return "artifactRelationships" in document;
  },
  parse(document: unknown, source: string): ParsedReport {
    const reader = new DocumentReader(FORMAT_NAME, source);
    const doc = reader.object(document, "$");
    const descriptor = isObject(doc.descriptor) ? doc.descriptor : {};
    const version = optionalString(descriptor.version);
    const packages: Package[] = [];
    const seen = new Set<string>();
    const artifacts = reader.array(doc.artifacts, "$.artifacts");
    for (let i = 0; i < artifacts.length; i++) {
      const item = artifacts[i];
      const path = `$.artifacts[${i}]`;
      const pkg = readArtifact(reader, isObject(item) ? item : reader.object(item, path), path);
      const key = `${pkg.type}\n${pkg.name}\n${pkg.version}\n${pkg.path ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push(pkg);
    }
    const report: ParsedReport = {
      format: "syft",
      scanner: { name: optionalString(descriptor.name) ?? "syft", ...(version ? { version } : {}) },
      packages,
      notes: [],
    };
    const producedAt = optionalTime(descriptor.timestamp);
    if (producedAt) report.producedAt = producedAt;
    readSource(reader, doc.source, report);
    const distro = grypeDistro(doc.distro);
    if (distro) report.distro = distro;
    return report;
  },
};

function readArtifact(reader: DocumentReader, a: JsonObject, path: string): Package {
  const name =
    typeof a.name === "string" && a.name !== "" ? a.name : reader.requiredString(a.name, `${path}.name`);
  const type = normalizePackageType(optionalString(a.type));
  const purl = optionalString(a.purl);
  const pkgPath = OS_PACKAGE_TYPES.has(type) ? undefined : artifactLocation(a);
  const licenses = artifactLicenses(a.licenses);
  return {
    name,
    version: optionalString(a.version) ?? "",
    type,
    ...(pkgPath !== undefined ? { path: pkgPath } : {}),
    ...(purl?.startsWith("pkg:") ? { purl } : {}),
    ...(licenses.length > 0 ? { licenses } : {}),
  };
}

/** Where a language package is: the archive path for nested Java archives, else its first location. */
function artifactLocation(a: JsonObject): string | undefined {
  if (isObject(a.metadata)) {
    const virtual = optionalString(a.metadata.virtualPath);
    if (virtual) return virtual;
  }
  if (!Array.isArray(a.locations)) return undefined;
  const first = a.locations[0];
  return isObject(first) ? optionalString(first.path) : undefined;
}

/** Licenses as strings (Syft < 0.80) or objects (`{value, spdxExpression, …}`), the SPDX expression preferred. */
function artifactLicenses(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    const license =
      typeof item === "string"
        ? item
        : isObject(item)
          ? (optionalString(item.spdxExpression) ?? optionalString(item.value))
          : undefined;
    if (license && !out.includes(license)) out.push(license);
  }
  return out;
}
