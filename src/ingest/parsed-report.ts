import type {
  Distro,
  ImageConfig,
  Layer,
  Package,
  Platform,
  SecretFinding,
  VexAssessment,
  Vulnerability,
} from "../model/index.js";

/** What one scanner report or SBOM says about an image, normalized. */
export interface ParsedReport {
  /** Format id from the registry (`trivy`, `grype`, `cyclonedx`, …). */
  format: string;
  /** The tool that produced it (`trivy`, `grype`, `clair`, `snyk`, …) and its version. */
  scanner: { name: string; version?: string };
  /** The image the report is about, as far as it says. */
  image?: { ref?: string; digest?: string; imageId?: string; repoDigests?: string[] };
  /** When the report was produced (RFC 3339). */
  producedAt?: string;
  /** When the scanner's vulnerability database was built or updated (RFC 3339). */
  dbUpdatedAt?: string;
  distro?: Distro;
  platform?: Platform;
  config?: ImageConfig;
  layers?: Layer[];
  packages: Package[];
  /**
   * `partial` when the report lists only the packages it found vulnerable (klar, Anchore, Snyk, …): those
   * are not the image's inventory, so they must not tell package gates what is installed. Absent: complete.
   */
  inventory?: "complete" | "partial";
  /**
   * Vulnerability findings, one per vulnerability and package. Undefined for an SBOM without
   * vulnerability data (so the facts say "no vulnerability data" rather than "none found").
   */
  vulnerabilities?: Vulnerability[];
  secrets?: SecretFinding[];
  /** Things the report holds that the facts do not model (misconfigurations, compliance): said, not lost. */
  notes: string[];
}

/** One VEX statement: a vulnerability's status in a product, optionally only for some subcomponents. */
export interface VexStatement {
  /** Vulnerability id (`CVE-2021-44228`) and any aliases the document gives. */
  vulnerability: string;
  aliases: string[];
  /** Product identifiers: purls (`pkg:oci/alpine@sha256:…`), image digests, or other ids as written. */
  products: string[];
  /** Subcomponent purls; empty means the statement covers the whole product. */
  subcomponents: string[];
  status: VexAssessment["status"];
  justification?: string;
  statement?: string;
  /** When the statement was made (RFC 3339), for choosing the newest of several. */
  timestamp?: string;
}

/** A VEX document, normalized. */
export interface VexDocument {
  format: string;
  /** Document id or author, to cite in decisions. */
  id: string;
  statements: VexStatement[];
}
