import type { ParsedReport, VexDocument } from "./parsed-report.js";

/** A scanner report or SBOM format: how to recognise a document and how to read it. One file per format. */
export interface ReportFormat {
  /** Stable id, used by `--report-format` (`trivy`, `grype`, `cyclonedx`, …). */
  id: string;
  /** Name for people (`Trivy JSON`). */
  name: string;
  kind: "scanner" | "sbom";
  /** What {@link detect} requires, for people: said when a document named as this format lacks it. */
  shape: string;
  /** True when the parsed JSON document has this format's shape (cheap: looks at a few keys). */
  detect(document: unknown): boolean;
  /** Reads the document; throws CipError CIP_REPORT_INVALID naming the path of what is wrong. */
  parse(document: unknown, source: string): ParsedReport;
}

/** A VEX format: statements about whether vulnerabilities affect a product. */
export interface VexFormat {
  id: string;
  name: string;
  detect(document: unknown): boolean;
  parse(document: unknown, source: string): VexDocument;
}

/** A format we recognise but do not read, so the refusal can say what was detected. */
export interface KnownUnsupportedFormat {
  name: string;
  detect(document: unknown): boolean;
  /** What to do instead (`export a CycloneDX SBOM from it`, …). */
  hint: string;
}
