import { DocumentReader, isObject, type JsonObject, optionalString, stringList } from "../document-reader.js";
import type { ParsedReport } from "../parsed-report.js";
import type { ReportFormat } from "../report-format.js";
import { plural, TrivyResults } from "./trivy.js";

const FORMAT_NAME = "Trivy Kubernetes report";
const LISTED_IMAGES = 5;

/**
 * Trivy cluster reports (`trivy k8s --format json`): `{ClusterName, Resources[]}` of workloads with their
 * per-image `Results`, and the older `{ClusterName, Vulnerabilities[], Misconfigurations[]}` split by scanner.
 *
 * A cluster report covers many images while a ParsedReport describes one, so the findings of every image
 * are flattened into one list (one per vulnerability, package and location: the same package version in
 * two images is one finding) and a note says how many resources and which images it came from. The image
 * is named only when the report covers exactly one.
 */
export const trivyK8sFormat: ReportFormat = {
  id: "trivy-k8s",
  name: FORMAT_NAME,
  kind: "scanner",
  shape: '"ClusterName" with "Resources", "Vulnerabilities" or "Misconfigurations"',
  detect(document: unknown): boolean {
    if (!isObject(document) || typeof document.ClusterName !== "string") return false;
    return (
      Array.isArray(document.Resources) ||
      Array.isArray(document.Vulnerabilities) ||
      Array.isArray(document.Misconfigurations)
    );
  },
  parse(document: unknown, source: string): ParsedReport {
    const reader = new DocumentReader(FORMAT_NAME, source);
    const doc = reader.object(document, "$");
    const collected = new TrivyResults(reader, true);
    const images = new Set<string>();
    let resources = 0;
    let failed = 0;
    for (const key of ["Resources", "Vulnerabilities", "Misconfigurations"]) {
      const list = reader.array(doc[key], `$.${key}`);
      for (let i = 0; i < list.length; i++) {
        const path = `$.${key}[${i}]`;
        const resource = reader.object(list[i], path);
        resources++;
        if (resource.Error !== undefined && resource.Error !== null && resource.Error !== "") failed++;
        const results = reader.array(resource.Results, `${path}.Results`);
        let named = false;
        let scanned = false;
        for (let j = 0; j < results.length; j++) {
          const result = results[j];
          collected.read(result, `${path}.Results[${j}]`);
          const image = imageOfResult(result);
          if (image) images.add(image);
          named ||= image !== undefined;
          scanned ||= isObject(result) && result.Class === "lang-pkgs";
        }
        // Targets name images as the workload wrote them; tags only name an image scanned for language packages alone.
        if (scanned && !named) for (const tag of metadataTags(resource.Metadata)) images.add(tag);
      }
    }

    const cluster = optionalString(doc.ClusterName);
    const listed = [...images].slice(0, LISTED_IMAGES).join(", ");
    const more = images.size > LISTED_IMAGES ? `, and ${images.size - LISTED_IMAGES} more` : "";
    const notes = [
      `Trivy cluster report${cluster ? ` of ${cluster}` : ""}: ${plural(resources, "resource")}, ` +
        `${plural(images.size, "image")} scanned${images.size > 0 ? ` (${listed}${more})` : ""}` +
        `${images.size > 1 ? "; the findings of all images are flattened into one list" : ""}.`,
    ];
    if (failed > 0) notes.push(`Trivy could not scan ${plural(failed, "resource")} (their Error is set).`);
    notes.push(...collected.notes());

    const report: ParsedReport = {
      format: "trivy-k8s",
      scanner: { name: "trivy" },
      packages: collected.packages,
      vulnerabilities: collected.vulnerabilities,
      notes,
    };
    if (images.size === 1) {
      const [ref] = images;
      report.image = { ref: ref as string };
      if (collected.distro) report.distro = collected.distro;
    }
    if (collected.secrets.length > 0) report.secrets = collected.secrets;
    return report;
  },
};

/** The image a vulnerability result is about: its target (`docker.io/redis:6.0.5 (debian 10.4)`) before the OS. */
function imageOfResult(value: unknown): string | undefined {
  if (!isObject(value) || value.Class !== "os-pkgs") return undefined;
  const target = optionalString(value.Target);
  if (!target) return undefined;
  const paren = target.indexOf(" (");
  return paren > 0 ? target.slice(0, paren) : target;
}

/** Image tags in a resource's `Metadata` (an object in some Trivy versions, a list of them in others). */
function metadataTags(value: unknown): string[] {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const tags: string[] = [];
  for (const item of items) {
    if (!isObject(item)) continue;
    const first = stringList((item as JsonObject).RepoTags)[0];
    if (first) tags.push(first);
  }
  return tags;
}
