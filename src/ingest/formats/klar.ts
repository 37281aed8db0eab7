import type { Distro } from "../../model/index.js";
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

const SCANNER = "klar";

/**
 * klar's JSON output (`{LayerCount, Vulnerabilities: {<severity>: [Clair v2 vulnerability + FeatureName,
 * FeatureVersion]}}`): findings bucketed by Clair severity, Defcon1 included.
 */
export const klarFormat: ReportFormat = {
  id: "klar",
  name: "klar JSON",
  kind: "scanner",
  shape: 'a numeric "LayerCount" and a "Vulnerabilities" object',
  detect(document) {
    return (
      isObject(document) && typeof document.LayerCount === "number" && isObject(document.Vulnerabilities)
    );
  },
  parse(document, source) {
    const reader = new DocumentReader("klar JSON", source);
    const root = reader.object(document, "$");
    const buckets = reader.object(root.Vulnerabilities, "$.Vulnerabilities");
    const findings = new FindingSet();
    let distro: Distro | undefined;
    for (const [bucket, list] of Object.entries(buckets)) {
      const items = reader.array(list, `$.Vulnerabilities.${bucket}`);
      for (let i = 0; i < items.length; i++) {
        const path = `$.Vulnerabilities.${bucket}[${i}]`;
        const item = reader.object(items[i], path);
        const id = reader.requiredString(item.Name, `${path}.Name`);
        const namespace = optionalString(item.NamespaceName);
        distro ??= distroFromNamespace(namespace);
        const { cvss, publishedAt } = clairMetadataCvss(item.Metadata);
        const url = optionalString(item.Link);
        const description = optionalString(item.Description);
        const related = clairAliases(id, url, description);
        const short = shortDescription(description);
        findings.add({
          id,
          ...related,
          package: {
            name: reader.requiredString(item.FeatureName, `${path}.FeatureName`),
            version: optionalString(item.FeatureVersion) ?? "",
            type: clairPackageType(optionalString(item.VersionFormat), namespace),
          },
          // The item's own word first; the bucket it sits in says the same when the item lacks one.
          severity: findingSeverity(optionalString(item.Severity) ?? bucket, cvss),
          ...(cvss ? { cvss } : {}),
          fix: clairFix(item.FixedBy),
          ...(publishedAt ? { publishedAt } : {}),
          ...(url ? { url } : {}),
          ...(short ? { description: short } : {}),
          sources: [SCANNER],
        });
      }
    }
    const report: ParsedReport = {
      format: "klar",
      scanner: { name: SCANNER },
      packages: findings.packages,
      inventory: "partial",
      vulnerabilities: findings.vulnerabilities,
      notes: [],
    };
    if (distro) report.distro = distro;
    return report;
  },
};
