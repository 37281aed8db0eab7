import type { CvssEntry, Severity } from "../../model/index.js";
import { severityFromCvss } from "./severity.js";

const DESCRIPTION_LIMIT = 300;

/** The CVSS version a vector names (`CVSS:3.1/…` → `3.1`), else `fallback` (v2 vectors carry no prefix). */
export function cvssVersion(vector: string, fallback: string): string {
  if (!vector.startsWith("CVSS:")) return fallback;
  // The common versions as constants: no new string per finding.
  if (vector.charCodeAt(6) === 46 && vector.charCodeAt(8) === 47) {
    const major = vector.charCodeAt(5);
    const minor = vector.charCodeAt(7);
    if (major === 51 && minor === 49) return "3.1";
    if (major === 51 && minor === 48) return "3.0";
    if (major === 52 && minor === 48) return "4.0";
  }
  const slash = vector.indexOf("/", 5);
  const version = slash > 5 ? vector.slice(5, slash) : "";
  return version === "" ? fallback : version;
}

/** The CVSS v3 band of the NVD base score, else of the first other v3 score; undefined without one. */
export function bandedSeverity(cvss: readonly CvssEntry[] | undefined): Severity | undefined {
  if (!cvss) return undefined;
  let vendorScore: number | undefined;
  for (const entry of cvss) {
    if (entry.version.charCodeAt(0) !== 51) continue;
    if (entry.source === "nvd") return severityFromCvss(entry.baseScore);
    vendorScore ??= entry.baseScore;
  }
  return vendorScore === undefined ? undefined : severityFromCvss(vendorScore);
}

/** A description short enough for a finding line (cut at 300 characters). */
export function shortDescription(text: string): string {
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1).trimEnd()}…`;
}

/** The `sha256:…` part of a repo digest (`repo@sha256:…`); a bare digest as it is. */
export function digestOf(repoDigest: string | undefined): string | undefined {
  if (!repoDigest) return undefined;
  const at = repoDigest.lastIndexOf("@");
  if (at >= 0) return repoDigest.slice(at + 1) || undefined;
  return repoDigest.includes(":") ? repoDigest : undefined;
}
