import { DocumentReader, isObject, optionalString } from "../document-reader.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import {
  clairAliases,
  clairFix,
  clairMetadataCvss,
  clairPackageType,
  distroFromNamespace,
  FindingSet,
  findingSeverity,
  shortDescription,
} from "./findings-common.js";

const SCANNER = "clair";

/**
 * A Clair v1/v2 layer document (`GET /v1/layers/<name>?features&vulnerabilities`: `{Layer: {Name,
 * NamespaceName, Features: [{Name, Version, VersionFormat, NamespaceName, AddedBy, Vulnerabilities: […]}]}}`).
 * The top layer's document covers the whole image; a directory of them is read file by file by the caller.
 */
export const clairLayerFormat: ReportFormat = {
  id: "clair-layer",
  name: "Clair v1/v2 layer report",
  kind: "scanner",
  shape: 'a "Layer" object with "Features" or "Name"',
  detect(document) {
    if (!isObject(document) || !isObject(document.Layer)) return false;
    const layer = document.Layer;
    return Array.isArray(layer.Features) || typeof layer.Name === "string";
  },
  parse(document, source) {
    const reader = new DocumentReader("Clair layer", source);
    const root = reader.object(document, "$");
    const layer = reader.object(root.Layer, "$.Layer");
    const layerNamespace = optionalString(layer.NamespaceName);
    let distro = distroFromNamespace(layerNamespace);
    const report: ParsedReport = {
      format: "clair-layer",
      scanner: { name: SCANNER },
      packages: [],
      notes: [],
    };
    if (distro) report.distro = distro;
    if (layer.Features === undefined || layer.Features === null) {
      // Without `?features&vulnerabilities` Clair sends the bare layer: no package or vulnerability data.
      report.notes.push(
        `Clair layer ${optionalString(layer.Name) ?? "(unnamed)"} lists no features: fetch it with ?features&vulnerabilities`,
      );
      return report;
    }
    const features = reader.array(layer.Features, "$.Layer.Features");
    const findings = new FindingSet();
    for (let f = 0; f < features.length; f++) {
      const fpath = `$.Layer.Features[${f}]`;
      const feature = reader.object(features[f], fpath);
      const namespace = optionalString(feature.NamespaceName) ?? layerNamespace;
      distro ??= distroFromNamespace(namespace);
      const pkg = {
        name: reader.requiredString(feature.Name, `${fpath}.Name`),
        version: optionalString(feature.Version) ?? "",
        type: clairPackageType(optionalString(feature.VersionFormat), namespace),
      };
      findings.addPackage(pkg);
      const vulns = reader.array(feature.Vulnerabilities, `${fpath}.Vulnerabilities`);
      for (let v = 0; v < vulns.length; v++) {
        const vpath = `${fpath}.Vulnerabilities[${v}]`;
        const vuln = reader.object(vulns[v], vpath);
        const id = reader.requiredString(vuln.Name, `${vpath}.Name`);
        const { cvss, publishedAt } = clairMetadataCvss(vuln.Metadata);
        const url = optionalString(vuln.Link);
        const description = optionalString(vuln.Description);
        const related = clairAliases(id, url, description);
        const short = shortDescription(description);
        findings.add({
          id,
          ...related,
          package: { ...pkg },
          severity: findingSeverity(vuln.Severity, cvss),
          ...(cvss ? { cvss } : {}),
          fix: clairFix(vuln.FixedBy),
          ...(publishedAt ? { publishedAt } : {}),
          ...(url ? { url } : {}),
          ...(short ? { description: short } : {}),
          sources: [SCANNER],
        });
      }
    }
    if (distro) report.distro = distro;
    report.packages = findings.packages;
    report.vulnerabilities = findings.vulnerabilities;
    return report;
  },
};
