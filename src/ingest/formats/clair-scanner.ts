import type { Distro } from "../../model/index.js";
import { DocumentReader, isObject, optionalString, stringList } from "../document-reader.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import {
  clairAliases,
  clairFix,
  clairPackageType,
  distroFromNamespace,
  FindingSet,
  findingSeverity,
  shortDescription,
} from "./findings-common.js";

const SCANNER = "clair-scanner";

/**
 * arminc/clair-scanner's JSON report (`{image, unapproved[], vulnerabilities[{featurename, featureversion,
 * vulnerability, namespace, description, link, severity, fixedby}]}`), read from a Clair v2 backend.
 */
export const clairScannerFormat: ReportFormat = {
  id: "clair-scanner",
  name: "clair-scanner JSON",
  kind: "scanner",
  shape: '"vulnerabilities" and "unapproved" lists',
  detect(document) {
    return (
      isObject(document) &&
      Array.isArray(document.vulnerabilities) &&
      Array.isArray(document.unapproved) &&
      (typeof document.image === "string" || document.image === undefined)
    );
  },
  parse(document, source) {
    const reader = new DocumentReader("clair-scanner JSON", source);
    const root = reader.object(document, "$");
    const items = reader.array(root.vulnerabilities, "$.vulnerabilities");
    const unapproved = new Set(stringList(reader.array(root.unapproved, "$.unapproved")));
    const findings = new FindingSet();
    let distro: Distro | undefined;
    let approved = 0;
    for (let i = 0; i < items.length; i++) {
      const path = `$.vulnerabilities[${i}]`;
      const item = reader.object(items[i], path);
      const id = reader.requiredString(item.vulnerability, `${path}.vulnerability`);
      const namespace = optionalString(item.namespace);
      distro ??= distroFromNamespace(namespace);
      const url = optionalString(item.link);
      const description = optionalString(item.description);
      const related = clairAliases(id, url, description);
      const short = shortDescription(description);
      if (!unapproved.has(id)) approved++;
      findings.add({
        id,
        ...related,
        package: {
          name: reader.requiredString(item.featurename, `${path}.featurename`),
          version: optionalString(item.featureversion) ?? "",
          type: clairPackageType(undefined, namespace),
        },
        severity: findingSeverity(item.severity, undefined),
        fix: clairFix(item.fixedby),
        ...(url ? { url } : {}),
        ...(short ? { description: short } : {}),
        sources: [SCANNER],
      });
    }
    const notes: string[] = [];
    // clair-scanner's own whitelist approved these; our policy decides afresh, so they stay findings.
    if (approved > 0) {
      notes.push(
        `clair-scanner: ${approved} of ${items.length} vulnerabilities were approved by its whitelist (kept as findings)`,
      );
    }
    const report: ParsedReport = {
      format: "clair-scanner",
      scanner: { name: SCANNER },
      packages: findings.packages,
      inventory: "partial",
      vulnerabilities: findings.vulnerabilities,
      notes,
    };
    const image = optionalString(root.image);
    if (image) report.image = { ref: image };
    if (distro) report.distro = distro;
    return report;
  },
};
